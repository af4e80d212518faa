"""docs/cli.md, generated from the CLI's own --help so the reference cannot drift.

    python3 -m llm_sizing.render.cli_reference > docs/cli.md
"""

from __future__ import annotations

import os

COMMANDS = [(), ("catalog",), ("catalog", "list"), ("catalog", "show"), ("catalog", "validate"),
            ("catalog", "schema")]
HELP_COLUMNS = "100"


def cli_reference() -> str:
    from click.testing import CliRunner

    from ..cli import main

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_COLUMNS  # click wraps help to the terminal width
    try:
        parts = ["# Command-line reference", "",
                 "Generated from `--help` by `python3 -m llm_sizing.render.cli_reference > docs/cli.md`; "
                 "a test fails when it is stale. `python3 sizing.py` takes the same arguments as `llm-sizing`.",
                 ""]
        for words in COMMANDS:
            result = CliRunner().invoke(main, [*words, "--help"], prog_name="llm-sizing", terminal_width=100)
            title = " ".join(("llm-sizing",) + words)
            parts += [f"## `{title}`", "", "```text", result.output.rstrip(), "```", ""]
        return "\n".join(parts)
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous


if __name__ == "__main__":
    print(cli_reference(), end="")
