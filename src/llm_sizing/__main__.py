"""`python -m llm_sizing ...` is the `llm-sizing` command."""

from .cli import entry_point

entry_point()
