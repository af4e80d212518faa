"""The operators of an engine step, as one GPU runs them: one small frozen class per operator class,
each knowing its bytes, its FLOPs, its kernel launches and how a profile prices it (`cost`, given
any object with the profile's methods, stages/latency/profile.py, and the scale-up link's bandwidth
per direction). The layer kinds (layers.py) list
them for a step (`Step`) and a tensor-parallel shard (`Shard`). Pure.

Formulas per operator and their sources: docs/performance.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

ACTIVATION_BYTES = 2  # bf16 activations and hidden states
#: fp32 [rows x vocab] passes of the sampler (logits to fp32, softmax, top-k/top-p sort and mask,
#: the draw); the same buffers the physical model's reserve counts (stages/memory/physical.py)
SAMPLER_PASSES = 6


@dataclass(frozen=True)
class Step:
    """One engine step on one attention rank: `decode` sequences at `decode_context` tokens each, and
    a prefill chunk of `prefill` prompt tokens starting at position `prefill_start`; the MoE layers
    route `routed` tokens (every attention rank's, under data-parallel attention)."""

    decode: int
    decode_context: int
    prefill: int = 0
    prefill_start: int = 0
    routed: Optional[int] = None
    kv_bytes: int = 2

    @property
    def tokens(self) -> int:
        return self.decode + self.prefill

    @property
    def routed_tokens(self) -> int:
        return self.tokens if self.routed is None else self.routed

    @property
    def logits(self) -> int:
        """Rows the lm_head computes: every decoding sequence, and the prompt whose chunk ends."""
        return self.decode + (1 if self.prefill else 0)


@dataclass(frozen=True)
class Shard:
    """How one GPU's share of a layer is cut: tensor-parallel degree, data-parallel attention ranks,
    whole experts per GPU (expert parallel over tp x dp)."""

    tp: int = 1
    dp: int = 1
    expert_parallel: bool = False

    @property
    def experts_over(self) -> int:
        return self.tp * self.dp


@dataclass(frozen=True)
class OpCost:
    ms: float  # without the launches
    bound: str  # "memory" | "compute" | "link"
    efficiency: float  # the fraction of the peak used


@dataclass(frozen=True)
class Gemm:
    """[tokens, k] x [k, n]: weights at `weight_bytes_per_param` (the checkpoint's format)."""

    name: str
    tokens: float
    k: int
    n: int
    weight_bytes_per_param: float
    precision: str = "bf16"  # the tensor-core path: bf16 | fp8 | fp4
    kernels: int = 1
    op_class = "gemm"

    @property
    def flops(self) -> float:
        return 2.0 * self.tokens * self.k * self.n

    @property
    def bytes(self) -> float:
        from_weights = self.k * self.n * self.weight_bytes_per_param
        width = min(self.weight_bytes_per_param, ACTIVATION_BYTES) if self.weight_bytes_per_param >= 1 else ACTIVATION_BYTES
        return from_weights + self.tokens * (self.k * width + self.n * ACTIVATION_BYTES)

    def cost(self, profile, link_gb_s_per_direction: float = 0.0) -> OpCost:
        ms, bound, efficiency, _ = profile.gemm(self.tokens, self.k, self.n, self.weight_bytes_per_param,
                                                self.precision)
        return OpCost(ms, bound, efficiency)


@dataclass(frozen=True)
class GroupedGemm:
    """A MoE layer's expert GEMMs (gate_up and down) on one GPU: `touched` experts of
    `expert_bytes` each read, `rows` routed token-rows of `expert_params` parameters each."""

    name: str
    touched: float
    expert_bytes: float
    rows: float
    expert_params: float
    hidden: int
    intermediate: int
    precision: str = "bf16"
    kernels: int = 2
    op_class = "grouped_gemm"

    @property
    def flops(self) -> float:
        return 2.0 * self.rows * self.expert_params

    @property
    def bytes(self) -> float:
        return self.touched * self.expert_bytes + self.rows * (2 * self.hidden + 3 * self.intermediate) * ACTIVATION_BYTES

    def cost(self, profile, link_gb_s_per_direction: float = 0.0) -> OpCost:
        ms, bound, efficiency = profile.grouped_gemm(self.rows / max(self.touched, 1e-9), self.bytes, self.flops,
                                                     self.precision)
        return OpCost(ms, bound, efficiency)


@dataclass(frozen=True)
class DecodeAttention:
    """The attention of `batch` decoding sequences: the cache bytes it reads and its FLOPs."""

    name: str
    batch: int
    bytes: float
    flops: float
    kernels: int = 1
    op_class = "decode_attention"

    def cost(self, profile, link_gb_s_per_direction: float = 0.0) -> OpCost:
        ms, bound, efficiency = profile.decode_attention(self.batch, self.bytes)
        return OpCost(ms, bound, efficiency)


@dataclass(frozen=True)
class PrefillAttention:
    """A prompt chunk's attention to its prefix and to itself (causal): compute-bound."""

    name: str
    flops: float
    bytes: float = 0.0
    kernels: int = 1
    op_class = "prefill_attention"

    def cost(self, profile, link_gb_s_per_direction: float = 0.0) -> OpCost:
        ms, bound, efficiency = profile.prefill_attention(self.flops)
        return OpCost(ms, bound, efficiency)


@dataclass(frozen=True)
class Elementwise:
    """Norms, activations, rotary embedding, cache writes, state updates, the sampler: bytes read and written."""

    name: str
    bytes: float
    flops: float = 0.0
    kernels: int = 1
    op_class = "elementwise"

    def cost(self, profile, link_gb_s_per_direction: float = 0.0) -> OpCost:
        ms, bound, efficiency = profile.elementwise(self.bytes)
        return OpCost(ms, bound, efficiency)


@dataclass(frozen=True)
class Collective:
    """An all-reduce (ring: 2 (n - 1) / n of the message each way), an all-to-all or a hand-off
    between pipeline stages, over the scale-up link."""

    name: str
    message_bytes: float
    ranks: int
    pattern: str  # "allreduce" | "alltoall" | "handoff"
    kernels: int = 1
    op_class = "collective"

    @property
    def bytes(self) -> float:
        share = {"allreduce": 2 * (self.ranks - 1) / self.ranks, "alltoall": (self.ranks - 1) / self.ranks,
                 "handoff": 1.0}[self.pattern]
        return self.message_bytes * share

    flops = 0.0

    def cost(self, profile, link_gb_s_per_direction: float = 0.0) -> OpCost:
        ms = profile.allreduce_latency_us * 1e-3 + profile.link_ms(self.bytes, link_gb_s_per_direction)
        return OpCost(ms, "link", profile.link_fraction)


def allreduce(name: str, tokens: float, hidden: int, shard: Shard) -> list:
    """The tensor-parallel all-reduce of a row-parallel output (none at TP 1)."""
    if shard.tp <= 1:
        return []
    return [Collective(name, tokens * hidden * ACTIVATION_BYTES, shard.tp, "allreduce")]


def norm(name: str, tokens: float, width: int) -> Elementwise:
    """An RMSNorm (fused with the residual add): read and write tokens x width, plus the residual."""
    return Elementwise(name, 3 * tokens * width * ACTIVATION_BYTES, 4.0 * tokens * width)
