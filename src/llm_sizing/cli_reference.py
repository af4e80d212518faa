"""docs/cli.md, generated from the click command tree itself (every command and subcommand, in
the order the tree holds them), so the reference cannot drift.

    python3 -m llm_sizing.cli_reference > docs/cli.md
"""

from __future__ import annotations

import os

import click

from .cli import main

HELP_COLUMNS = "100"


def commands(group: click.Command = main, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    """(words after the program name, command) for every command in the tree, depth first."""
    out = [(path, group)]
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            out += commands(command, path + (name,))
    return out


def cli_reference() -> str:
    from click.testing import CliRunner

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_COLUMNS  # click wraps help to the terminal width
    try:
        parts = ["# Command-line reference", "",
                 "Generated from the command tree's `--help` by `python3 -m llm_sizing.cli_reference > "
                 "docs/cli.md`; a test fails when it is stale or misses an option. `python3 sizing.py` takes the "
                 "same arguments as `llm-sizing`.", ""]
        for words, _ in commands():
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
