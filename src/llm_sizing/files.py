"""Reading the files a user names (catalog files, config.json, runs files): every way reading or
parsing one can fail becomes one line naming the file (SizingError subclasses), never a traceback:
an unknown `~user`, a name too long for the file system, a missing or unreadable file, bytes that
are not UTF-8, JSON that is invalid, nested too deep or holds an integer of more digits than Python
converts. I/O at the edge; everything after it gets plain values."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Type, Union

from .errors import CatalogError, SizingError

PathLike = Union[str, Path]


def expand(path: PathLike, error: Type[SizingError] = CatalogError) -> Path:
    """The path with `~` expanded; an empty path or an unknown user is one line."""
    if not str(path).strip():
        raise error("an empty path: give a file or directory name")
    try:
        return Path(path).expanduser()
    except RuntimeError:  # "Could not determine home directory" for ~nosuchuser
        raise error(f"{path}: cannot expand '~': no such user") from None


def is_file(path: PathLike) -> bool:
    """Whether `path` is a file; False for names the file system refuses (too long, bad bytes)."""
    try:
        return Path(path).is_file()
    except (OSError, ValueError):
        return False


def exists(path: PathLike) -> bool:
    """Whether anything is at `path`; False for names the file system refuses."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def is_dir(path: PathLike) -> bool:
    try:
        return Path(path).is_dir()
    except (OSError, ValueError):
        return False


#: the largest file read (a catalog, config or runs file is kilobytes; a checkpoint index megabytes)
MAX_FILE_BYTES = 256 * 2**20


def read_text(path: PathLike, what: str = "file", error: Type[SizingError] = CatalogError) -> str:
    """The file's text (UTF-8), or one line naming the file and why it cannot be read: a device or
    pipe (/dev/zero would never end) and anything over MAX_FILE_BYTES are refused unread."""
    import stat

    try:
        # opened without blocking (a FIFO would wait for a writer), checked before reading
        descriptor = os.open(expand(path, error), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise error(f"{path}: cannot read the {what}: not a regular file")
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise error(f"{path}: cannot read the {what}: larger than {MAX_FILE_BYTES // 2**20} MiB")
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: cannot read the {what}: not UTF-8 text (byte {exc.start})") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise error(f"{path}: cannot read the {what}: {reason}") from None


def parse_json(text: str, origin: str, error: Type[SizingError] = CatalogError) -> Any:
    """Parsed JSON, or one line naming `origin` and where the text is wrong."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{origin}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise error(f"{origin}: not valid JSON here: nested too deep") from None
    except ValueError:  # the only other ValueError json raises: an integer of more than 4,300 digits
        raise error(f"{origin}: not valid JSON here: an integer of more than 4,300 digits") from None


def read_json(path: PathLike, what: str = "file", error: Type[SizingError] = CatalogError) -> Any:
    return parse_json(read_text(path, what, error), str(path), error)


def non_finite(document: Any, skip: Iterable[str] = (), where: str = "") -> str:
    """The JSON pointer of the first NaN or infinite number in `document` ("" when none), not looking
    inside objects under a key in `skip` (a model's verbatim config may carry one in a key that
    changes no size)."""
    skip = tuple(skip)
    if isinstance(document, float) and not math.isfinite(document):
        return where or "/"
    if isinstance(document, dict):
        for key, value in document.items():
            if key in skip:
                continue
            found = non_finite(value, skip, f"{where}/{key}")
            if found:
                return found
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found = non_finite(value, skip, f"{where}/{index}")
            if found:
                return found
    return ""
