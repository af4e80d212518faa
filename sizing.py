#!/usr/bin/env python3
"""The seed's entry point: `python3 sizing.py --model ... --server ... --storage ...`.

Runs from the repository root with or without the package installed (its dependencies must be
installed: `pip install .`)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))

from llm_sizing.cli import run  # noqa: E402

if __name__ == "__main__":
    sys.exit(run(prog_name="sizing.py"))
