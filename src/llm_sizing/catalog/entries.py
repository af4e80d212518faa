"""Typed, immutable catalog entries. Built only from dicts that passed the kind's JSON Schema;
cross-field rules the schema cannot state are checked here and reported as `(field, message)`."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping, Optional


class _Entry:
    """What every kind of entry shares: built from a schema-checked dict, cross-field checks."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], origin: str):
        values = {f.name: data.get(f.name, f.default) for f in fields(cls) if f.name != "origin"}
        values = {key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}
        return cls(**values, origin=origin)

    def problems(self) -> list[tuple[str, str]]:
        """(field, message) for each rule the JSON Schema cannot state."""
        return []


@dataclass(frozen=True)
class ModelEntry(_Entry):
    name: str
    source: str
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    hidden_size: int
    max_position_embeddings: int
    layer_types: tuple[str, ...]
    sliding_window: Optional[int] = None
    aliases: tuple[str, ...] = ()
    display_name: Optional[str] = None
    hf_id: Optional[str] = None
    origin: str = field(default="", compare=False)

    kind = "models"

    def problems(self) -> list[tuple[str, str]]:
        found = []
        if len(self.layer_types) != self.num_hidden_layers:
            found.append(("layer_types", f"has {len(self.layer_types)} entries but num_hidden_layers is "
                                         f"{self.num_hidden_layers}; give one kind per layer"))
        if "sliding_attention" in self.layer_types and not self.sliding_window:
            found.append(("sliding_window", "is required (a positive number of tokens) because layer_types "
                                            "has sliding_attention layers"))
        return found

    def layer_counts(self) -> dict[str, int]:
        """Layers per attention kind, in order of first appearance."""
        counts: dict[str, int] = {}
        for kind in self.layer_types:
            counts[kind] = counts.get(kind, 0) + 1
        return counts


@dataclass(frozen=True)
class ServerEntry(_Entry):
    name: str
    source: str
    gpus_per_node: int
    hbm_per_gpu_gb: float
    hbm_total_gb: float
    nvlink_bandwidth_per_node_tb_s: Optional[float] = None
    gpu_model: Optional[str] = None
    aliases: tuple[str, ...] = ()
    display_name: Optional[str] = None
    origin: str = field(default="", compare=False)

    kind = "servers"

    def problems(self) -> list[tuple[str, str]]:
        expected = self.gpus_per_node * self.hbm_per_gpu_gb
        if abs(self.hbm_total_gb - expected) > 1e-9 * expected:
            return [("hbm_total_gb", f"is {self.hbm_total_gb:g} but gpus_per_node x hbm_per_gpu_gb = "
                                     f"{self.gpus_per_node} x {self.hbm_per_gpu_gb:g} = {expected:g}")]
        return []


@dataclass(frozen=True)
class StorageProfile(_Entry):
    name: str
    type: str
    source: str
    read_iops: int
    write_iops: int
    read_throughput_gb_s: float
    write_throughput_gb_s: float
    read_latency_p99_ms: float
    write_latency_p99_ms: float
    aliases: tuple[str, ...] = ()
    display_name: Optional[str] = None
    origin: str = field(default="", compare=False)

    kind = "storage"


ENTRY_TYPES = {"models": ModelEntry, "servers": ServerEntry, "storage": StorageProfile}
#: the singular noun for messages ("unknown model 'x'")
KIND_NOUN = {"models": "model", "servers": "server", "storage": "storage profile"}
