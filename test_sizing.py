#!/usr/bin/env python3
"""The seed's test entry point: `python3 test_sizing.py` runs the whole pytest suite.
Extra arguments go to pytest (e.g. `python3 test_sizing.py -k warnings`)."""

import os
import sys

if __name__ == "__main__":
    import pytest

    here = os.path.dirname(os.path.abspath(__file__))
    sys.exit(pytest.main([os.path.join(here, "tests"), *sys.argv[1:]]))
