"""The storage stage: what the KV offload tier's profile means for the context used. Today it
carries the card's prefill I/O warning (docs/warnings.md); the offload tier's sizing lands here."""

from __future__ import annotations

from dataclasses import dataclass

from .. import findings as f


@dataclass(frozen=True)
class StorageCheck:
    profile: object  # catalog.StorageProfile
    context_tokens: int
    findings: tuple


def storage_stage(resolved) -> StorageCheck:
    storage = resolved.storage
    found = f.prefill_io_pressure(resolved.context_tokens, storage.type, storage.name)
    return StorageCheck(storage, resolved.context_tokens, tuple(found))
