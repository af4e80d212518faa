"""Hugging Face configs as model entries: a config.json path, a model directory holding one, or
`hf:ORG/NAME` fetched with huggingface_hub into its normal cache (read from that cache when
offline). This and the catalog loader are the only code that reads model files."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, Optional

from ..errors import CatalogError, SizingError
from .entries import ModelEntry
from .loader import entry_from_dict

HF_PREFIX = "hf:"
HF_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


def is_model_reference(text: str) -> bool:
    """True when --model names a file, a directory or a Hugging Face repo rather than a catalog entry."""
    from ..files import is_dir

    return text.startswith(HF_PREFIX) or text.endswith(".json") or is_dir(text)


def _read_json(path: Path) -> dict:
    from ..files import read_json

    data = read_json(path, "config")
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: must hold a JSON object; got a {type(data).__name__}")
    return data


def checkpoint_extras(directory: Path) -> dict:
    """From a model directory: ModelOpt's hf_quant_config.json and the safetensors index's total_size."""
    extras: dict[str, Any] = {}
    from ..files import is_file

    quant = directory / "hf_quant_config.json"
    if is_file(quant):
        extras["hf_quant_config"] = _read_json(quant)
    index = directory / "model.safetensors.index.json"
    if is_file(index):
        document = _read_json(index)
        metadata = document.get("metadata") if isinstance(document, dict) else "not an object"
        if metadata is not None and not isinstance(metadata, dict):
            raise CatalogError(f"{index}: not a safetensors index: 'metadata' must be an object")
        total = (metadata or {}).get("total_size")
        if total is None:
            return extras  # an index without the size: the weights are counted from the config
        if not (isinstance(total, int) and not isinstance(total, bool) and 0 < total <= 10**15):
            raise CatalogError(f"{index}: metadata.total_size must be the checkpoint's size in bytes (a whole "
                               f"number from 1 to 10^15); got {str(total)[:40]}")
        extras["checkpoint_total_bytes"] = total
    return extras


def read_local_config(reference: str) -> tuple[dict, str, str]:
    """(config, source, default name) from a config.json path or a directory holding one."""
    from ..files import expand, is_dir, is_file

    path = expand(reference)
    if is_dir(path):
        path = path / "config.json"
        if not is_file(path):
            raise CatalogError(f"{reference}: the directory has no config.json")
    elif not is_file(path):
        raise CatalogError(f"{reference}: no such file")
    name = path.parent.name if path.name == "config.json" else path.stem
    return _read_json(path), str(path.resolve()), name


def fetch_hf_config(repo_id: str) -> tuple[dict, str, str]:
    """(config, source, default name) for hf:ORG/NAME, from the network or the local HF cache."""
    if not HF_REPO_ID.match(repo_id):
        raise SizingError(f"hf:{repo_id}: not a Hugging Face repository id; write hf:ORG/NAME, e.g. "
                          f"hf:openai/gpt-oss-20b")
    try:
        from huggingface_hub import constants, hf_hub_download
        from huggingface_hub.utils import logging as hf_logging
    except ImportError:
        raise SizingError("hf:ORG/NAME needs huggingface_hub: pip install 'llm-sizing[hf]' "
                          "(or pass a local config.json path)") from None
    hf_logging.set_verbosity_error()  # no retry chatter on stderr: the outcome is reported in one line
    try:  # the normal cache first: a config does not change under a revision, and this works offline
        path = hf_hub_download(repo_id, "config.json", local_files_only=True)
    except Exception:
        path = None
    if path is None:
        reason = _offline_reason(constants)
        if reason is None:
            try:
                path = hf_hub_download(repo_id, "config.json")
            except Exception as error:  # unknown or gated repository, network failure
                reason = f"{type(error).__name__}: {' '.join(str(error).split())[:200]}"
        if path is None:
            raise SizingError(f"hf:{repo_id}: cannot fetch config.json ({reason}) and it is not in the Hugging "
                              f"Face cache ({constants.HF_HUB_CACHE}); run once with network access (and HF_TOKEN "
                              f"for gated models), or pass a local config.json path")
    source = f"https://huggingface.co/{repo_id}/blob/main/config.json (cached at {path})"
    return _read_json(Path(path)), source, repo_id.split("/", 1)[1]


def _offline_reason(constants) -> Optional[str]:
    """Why the Hub cannot be reached, without waiting through retries; None when it may be."""
    if constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE is set"
    import socket
    from urllib.parse import urlparse

    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        socket.getaddrinfo(host, 443)
    except OSError:
        return f"no network: cannot resolve {host}"
    return None


def model_entry_from_reference(reference: str, name: Optional[str] = None,
                               aliases: tuple[str, ...] = ()) -> ModelEntry:
    """A validated model entry for a path, directory or hf:ORG/NAME; the reference is an alias."""
    if reference.startswith(HF_PREFIX):
        repo_id = reference[len(HF_PREFIX):]
        config, source, default_name = fetch_hf_config(repo_id)
        hf_id: Optional[str] = repo_id
        extras: dict[str, Any] = {}
    else:
        config, source, default_name = read_local_config(reference)
        hf_id = config.get("_name_or_path") if isinstance(config.get("_name_or_path"), str) else None
        extras = checkpoint_extras(Path(source).parent)
    if name is not None and not (CATALOG_NAME.match(name) and len(name) <= 200):
        raise CatalogError(f"--name must be a catalog name (letters, digits and . _ / -, starting with a letter or "
                           f"digit, at most 200 characters); got {name[:60]!r}")
    entry: dict[str, Any] = {"name": name or _safe_name(default_name), "source": source, "config": config, **extras}
    if aliases:
        entry["aliases"] = list(aliases)
    if hf_id and HF_REPO_ID.match(hf_id):
        entry["hf_id"] = hf_id
    validated = entry_from_dict("models", entry, origin=reference)
    # the reference itself (a path, hf:ORG/NAME) also selects the entry; it is no catalog name
    return dataclasses.replace(validated, aliases=validated.aliases + (reference,))


#: what a catalog name may be (the schemas' `name` pattern)
CATALOG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


def _safe_name(text: str) -> str:
    """A catalog name made from a directory or repository name (the default --name)."""
    cleaned = re.sub(r"[^A-Za-z0-9._/-]+", "-", text).strip("-._/")
    return cleaned or "model"


def entry_file_document(entry: ModelEntry) -> dict:
    """The JSON a user catalog file holds for one imported model."""
    data: dict[str, Any] = {"name": entry.name}
    if entry.hf_id:
        data["hf_id"] = entry.hf_id
    data["source"] = entry.source
    if entry.hf_quant_config:
        data["hf_quant_config"] = entry.hf_quant_config
    if entry.checkpoint_total_bytes:
        data["checkpoint_total_bytes"] = entry.checkpoint_total_bytes
    aliases = [a for a in entry.aliases if not is_model_reference(a)]  # a path or hf: reference is no name
    if aliases:
        data["aliases"] = aliases
    data["config"] = entry.config
    return {"models": [data]}


def write_entry(entry: ModelEntry, directory: Path, overwrite: bool = False) -> Path:
    from .writer import write_document

    return write_document("models", entry_file_document(entry), directory, entry.name, overwrite)
