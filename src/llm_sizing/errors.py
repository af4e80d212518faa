"""Errors a user can act on. The CLI prints `str(error)` as one line and exits with status 2."""

from __future__ import annotations

import difflib
from typing import Iterable


class SizingError(Exception):
    """Base of every error the tool raises on purpose."""


class InputError(SizingError):
    """A scenario value out of its allowed range."""


class UnknownNameError(SizingError):
    """A model, server or storage name not in the catalog."""

    def __init__(self, kind: str, name: str, valid: Iterable[str]):
        valid = sorted(valid)
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        super().__init__(f"unknown {kind} '{name}'. Valid {kind}s: {', '.join(valid)}.{hint}")
        self.kind, self.name, self.valid, self.suggestion = kind, name, valid, (close[0] if close else None)


class CatalogError(SizingError):
    """A catalog file that is not valid JSON or breaks its schema."""


class ArchitectureError(SizingError):
    """A model config the tool cannot size exactly: the message names the missing or unknown fields."""
