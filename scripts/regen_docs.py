#!/usr/bin/env python3
"""Regenerate what is generated: the built-in catalog's validated digests (after a full schema
check), docs/cli.md (from --help) and the README's example report (from a real run). Tests fail
when any is stale: run this after changing the catalog, the CLI or the report."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))

from llm_sizing.render.cli_reference import cli_reference  # noqa: E402

EXAMPLE = ["--model", "opt-oss-120b", "--server", "dgx300", "--storage", "profile_default",
           "--concurrency", "1000", "--effective-context", "131072", "--ha", "n+1"]


def refresh_builtin_digests():
    """Validate the built-in catalog files against their schemas, then record their digests."""
    import json

    from llm_sizing.catalog.loader import DIGESTS_FILE, KINDS, PACKAGE_DIR, digest, read_catalog_file

    digests = {}
    for kind in KINDS:
        path = PACKAGE_DIR / "builtin" / f"{kind}.json"
        read_catalog_file(path)  # full schema check; raises on a broken file
        digests[path.name] = digest(path.read_text(encoding="utf-8"))
    (PACKAGE_DIR / "builtin" / DIGESTS_FILE).write_text(json.dumps(digests, indent=2) + "\n")


def main():
    refresh_builtin_digests()
    with open(os.path.join(ROOT, "docs", "cli.md"), "w") as out:
        out.write(cli_reference())
    report = subprocess.run([sys.executable, os.path.join(ROOT, "sizing.py"), *EXAMPLE], capture_output=True,
                            text=True, check=True).stdout.rstrip("\n")
    path = os.path.join(ROOT, "README.md")
    text = open(path).read()
    text = re.sub(r"(<!-- example-report -->\n```text\n).*?(\n```)", lambda m: m.group(1) + report + m.group(2),
                  text, count=1, flags=re.S)
    open(path, "w").write(text)
    print("regenerated the built-in catalog digests, docs/cli.md and the README example report")


if __name__ == "__main__":
    main()
