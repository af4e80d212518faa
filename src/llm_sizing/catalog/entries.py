"""Typed, immutable catalog entries. Built only from dicts that passed the kind's JSON Schema;
cross-field rules the schema cannot state are checked here and reported as `(field, message)`."""

from __future__ import annotations

import json

from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any, Mapping, Optional


class _Entry:
    """What every kind of entry shares: built from a schema-checked dict, cross-field checks."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], origin: str, private: bool = False):
        """The entry from a parsed document; `private`: the caller owns `data` and nothing else holds it
        (a file just parsed), so the nested documents need no private copies."""
        values = {f.name: data.get(f.name, f.default) for f in fields(cls) if f.name != "origin"}
        values = {key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}
        if not private:
            for key, value in values.items():  # private copies of nested documents, so the entry stays a value
                if isinstance(value, dict):
                    values[key] = json.loads(json.dumps(value))
        return cls(**values, origin=origin)

    def problems(self) -> list[tuple[str, str]]:
        """(field, message) for each rule the JSON Schema cannot state."""
        return []


@dataclass(frozen=True)
class ModelEntry(_Entry):
    """A model: its Hugging Face config.json (verbatim, or the fields sizing reads) and where it is from.
    The model's facts are read from the config, once, by `model.architecture.read_architecture`."""

    name: str
    source: str
    config: Mapping[str, Any]
    aliases: tuple[str, ...] = ()
    display_name: Optional[str] = None
    hf_id: Optional[str] = None
    hf_quant_config: Optional[Mapping[str, Any]] = None  # ModelOpt's hf_quant_config.json, when published
    checkpoint_total_bytes: Optional[int] = None  # model.safetensors.index.json metadata.total_size
    origin: str = field(default="", compare=False)

    kind = "models"

    @cached_property
    def architecture(self):
        from ..model.architecture import read_architecture

        return read_architecture(self.config, label=f"model '{self.name}'", hf_quant_config=self.hf_quant_config)

    def problems(self) -> list[tuple[str, str]]:
        from ..errors import ArchitectureError

        try:
            self.architecture
        except ArchitectureError as error:
            return [("config", str(error).split(": ", 1)[-1])]
        return []

    def weight_problems(self) -> list[str]:
        """Why the weights cannot be counted from the config (the physical memory model and `perf` then
        need --weights-gib or --weight-format); empty when they can. The seed memory model and the
        KV cache do not depend on it."""
        from ..errors import ArchitectureError
        from ..model.parameters import count_parameters

        problems = []
        for check in (lambda: count_parameters(self.architecture), self.architecture.checkpoint_format):
            try:
                check()
            except ArchitectureError as error:
                problems.append(str(error).split(": ", 1)[-1])
        return problems

    @property
    def max_position_embeddings(self) -> int:
        return self.architecture.max_position_embeddings

    @property
    def num_hidden_layers(self) -> int:
        return self.architecture.num_hidden_layers

    def layer_counts(self) -> dict[str, int]:
        return self.architecture.layer_counts()

    def speculating(self, speculation, draft=None) -> "ModelEntry":
        """This model served with speculative decoding (model/speculative.py): the same entry whose
        architecture carries the draft's layers; `draft` the draft model's architecture."""
        import dataclasses

        architecture = self.architecture.speculating(speculation, draft)
        entry = dataclasses.replace(self)
        entry.__dict__["architecture"] = architecture  # the cached_property's slot: the combined model
        return entry


@dataclass(frozen=True)
class ServerEntry(_Entry):
    name: str
    source: str
    gpus_per_node: int
    hbm_per_gpu_gb: float
    hbm_total_gb: float
    nvlink_bandwidth_per_node_tb_s: Optional[float] = None
    gpu_memory_total_gib: Optional[float] = None  # per GPU, as the CUDA driver reports it (physical model)
    gpu_architecture: Optional[str] = None  # hopper | blackwell | ampere | cdna3 | cdna4
    hbm_bandwidth_per_gpu_tb_s: Optional[float] = None
    bf16_dense_tflops_per_gpu: Optional[float] = None
    fp8_dense_tflops_per_gpu: Optional[float] = None
    fp4_dense_tflops_per_gpu: Optional[float] = None
    scaleup_bandwidth_per_gpu_gb_s: Optional[float] = None  # both directions, as vendors state it
    scaleup_domain_gpus: Optional[int] = None
    tdp_per_gpu_w: Optional[float] = None
    node_power_kw: Optional[float] = None
    price_per_gpu_hour_usd: Optional[float] = None
    gpu_model: Optional[str] = None
    profile: Optional[str] = None  # the performance profile (catalog kind `profiles`); default: by gpu_model
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


@dataclass(frozen=True)
class PerformanceProfile(_Entry):
    """One GPU's efficiency per operator class and its engines' per-step terms (schema: profiles;
    formulas: stages/latency/profile.py, docs/performance.md)."""

    name: str
    gpu_model: str
    status: str  # "measured" | "estimate"
    source: str
    peaks: Mapping[str, Any]
    launch_us: Mapping[str, Any]
    elementwise: Mapping[str, Any]
    gemm: Mapping[str, Any]
    grouped_gemm: Mapping[str, Any]
    decode_attention: Mapping[str, Any]
    prefill_attention: Mapping[str, Any]
    collectives: Mapping[str, Any]
    engines: Optional[Mapping[str, Any]] = None
    derived_from: Optional[str] = None
    measured: str = ""
    measurements: Optional[Mapping[str, Any]] = field(default=None, compare=False, repr=False)
    aliases: tuple[str, ...] = ()
    display_name: Optional[str] = None
    origin: str = field(default="", compare=False)

    kind = "profiles"

    @cached_property
    def typed(self):
        """The profile with its tables as numbers, ready to price operators."""
        from ..stages.latency.profile import profile_of

        return profile_of(self)

    def problems(self) -> list[tuple[str, str]]:
        for name, table in self.gemm.items():
            rows, columns = len(table["weight_bytes"]), len(table["tokens"])
            for key in ("memory_fraction", "compute_fraction"):
                grid = table[key]
                if len(grid) != rows or any(len(row) != columns for row in grid):
                    return [("gemm", f"{name}.{key} must have {rows} rows of {columns} fractions (weight sizes x "
                                     f"tokens)")]
        grouped = self.grouped_gemm["bf16"]
        if not len(grouped["rows_per_expert"]) == len(grouped["memory_fraction"]) == len(grouped["compute_fraction"]):
            return [("grouped_gemm", "bf16.rows_per_expert, memory_fraction and compute_fraction must be as long")]
        if len(self.decode_attention["batch"]) != len(self.decode_attention["memory_fraction"]):
            return [("decode_attention", "batch and memory_fraction must be as long")]
        return []


ENTRY_TYPES = {"models": ModelEntry, "servers": ServerEntry, "storage": StorageProfile,
               "profiles": PerformanceProfile}
#: the singular noun for messages ("unknown model 'x'")
KIND_NOUN = {"models": "model", "servers": "server", "storage": "storage profile",
             "profiles": "performance profile"}
