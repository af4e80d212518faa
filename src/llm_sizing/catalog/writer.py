"""Writing user catalog files (`catalog import`, `calibrate ops`, `calibrate runs`): one JSON document
per file, under DIR/<kind>/, checked against its kind's schema before anything is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from ..errors import CatalogError


def target_path(kind: str, directory: Path, stem: str, overwrite: bool = False) -> Path:
    """DIR/<kind>/<stem>.json; an existing file without `overwrite` is refused (checked before any work)."""
    from ..files import exists

    target = Path(directory) / kind / f"{stem.replace('/', '--')}.json"
    if exists(target) and not overwrite:
        raise CatalogError(f"{target}: already exists; pass --replace to replace it")
    return target


def write_document(kind: str, document: Mapping[str, Any], directory: Path, stem: str, overwrite: bool = False) -> Path:
    """Write {kind: [...]} to DIR/<kind>/<stem>.json after the schema and entry checks pass."""
    from .loader import entry_from_dict

    for data in document[kind]:
        entry_from_dict(kind, dict(data), origin=f"{directory}/{kind}/{stem}.json")
    target = target_path(kind, directory, stem, overwrite)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"{directory}: cannot write the catalog entry there: {exc.strerror or exc}") from None
    return target


def profile_document(entry) -> dict:
    """The catalog file of one performance profile entry (its fields, not its origin)."""
    import dataclasses

    data = {key: (list(value) if isinstance(value, tuple) else value)
            for key, value in dataclasses.asdict(entry).items() if key != "origin"}
    return {"profiles": [{key: value for key, value in data.items() if value not in (None, "", [])}]}
