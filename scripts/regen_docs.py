#!/usr/bin/env python3
"""Regenerate the generated parts of the docs: docs/cli.md (from --help) and the README's example
report (from a real run). Tests fail when either is stale: run this after changing the CLI or report."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))

from llm_sizing.render.cli_reference import cli_reference  # noqa: E402

EXAMPLE = ["--model", "opt-oss-120b", "--server", "dgx300", "--storage", "profile_default",
           "--concurrency", "1000", "--effective-context", "131072", "--ha", "n+1"]


def main():
    with open(os.path.join(ROOT, "docs", "cli.md"), "w") as out:
        out.write(cli_reference())
    report = subprocess.run([sys.executable, os.path.join(ROOT, "sizing.py"), *EXAMPLE], capture_output=True,
                            text=True, check=True).stdout.rstrip("\n")
    path = os.path.join(ROOT, "README.md")
    text = open(path).read()
    text = re.sub(r"(<!-- example-report -->\n```text\n).*?(\n```)", lambda m: m.group(1) + report + m.group(2),
                  text, count=1, flags=re.S)
    open(path, "w").write(text)
    print("regenerated docs/cli.md and the README example report")


if __name__ == "__main__":
    main()
