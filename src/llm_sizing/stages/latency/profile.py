"""An efficiency profile, typed: what share of its datasheet peaks one GPU reaches per operator class
(a catalog entry of kind `profiles`; calibrate/profiles.py builds them from measurements). Pure.

Every operator class is priced the same way:

    time = fixed + max(bytes / (peak bandwidth x memory fraction), FLOPs / (peak FLOPS x compute fraction))

- gemm (by precision): fractions interpolated bilinearly in (log2 tokens, log2 weight bytes) over the
  measured grid, clamped at its edges;
- grouped_gemm (MoE experts): by rows per touched expert (log2), linear;
- decode_attention: memory fraction by batch (log2), linear; no compute term (memory-bound);
- prefill_attention: a compute fraction (no memory term);
- elementwise (norms, activations, rope, cache writes, sampler): the copy ceiling's memory fraction;
- collectives: a share of the scale-up link per direction plus a latency.
`fixed` is the kernel's launch, ramp and tail: the launch itself (in a CUDA graph, or eager) is
counted apart (`launch_us`), so an operator's time here is `fixed - graph launch + roofline`.
Formulas and the measured H200 figures: docs/performance.md.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Mapping, Optional

ACTIVATION_BYTES = 2  # bf16 activations


def gemm_bytes(tokens: float, k: int, n: int, weight_bytes_per_param: float) -> float:
    """Bytes a [tokens, k] x [k, n] product moves: the weights, activations in (at the weights' width,
    at most bf16; bf16 for 4-bit weight-only formats) and out (bf16)."""
    activation_in = min(weight_bytes_per_param, ACTIVATION_BYTES) if weight_bytes_per_param >= 1 else ACTIVATION_BYTES
    return k * n * weight_bytes_per_param + tokens * (k * activation_in + n * ACTIVATION_BYTES)


def grouped_gemm_bytes(touched_experts: float, expert_bytes: float, routed_rows: float, hidden: int,
                       intermediate: int) -> float:
    """Bytes one MoE layer's expert GEMMs move: every touched expert's weights, and the routed rows'
    activations (in: hidden to gate_up, 2 x intermediate out, intermediate to down, hidden out; bf16)."""
    return touched_experts * expert_bytes + routed_rows * (2 * hidden + 3 * intermediate) * ACTIVATION_BYTES


def decode_attention_bytes(batch: int, context: int, kv_heads: int, head_dim: int, kv_bytes: int) -> int:
    """K and V of `context` tokens for `batch` sequences (the shape the microbenchmark measured)."""
    return batch * context * kv_heads * head_dim * 2 * kv_bytes


def _interp(xs, ys, x: float) -> float:
    """Piecewise-linear interpolation, clamped at both ends."""
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    i = bisect.bisect_right(xs, x) - 1
    t = (x - xs[i]) / (xs[i + 1] - xs[i])
    return ys[i] + t * (ys[i + 1] - ys[i])


def _log2s(values) -> tuple[float, ...]:
    return tuple(math.log2(v) for v in values)


@dataclass(frozen=True)
class Peaks:
    hbm_tb_s: float
    bf16_tflops: float
    fp8_tflops: Optional[float] = None
    fp4_tflops: Optional[float] = None

    def tflops(self, precision: str) -> float:
        """Peak tensor FLOPS for a precision; falls back to the next wider one the GPU has."""
        for name in {"fp4": ("fp4", "fp8", "bf16"), "fp8": ("fp8", "bf16")}.get(precision, ("bf16",)):
            value = getattr(self, f"{name}_tflops")
            if value:
                return value
        return self.bf16_tflops


@dataclass(frozen=True)
class GemmTable:
    fixed_us: float
    log_weight_bytes: tuple[float, ...]
    log_tokens: tuple[float, ...]
    memory_fraction: tuple[tuple[float, ...], ...]  # [weight size][tokens]
    compute_fraction: tuple[tuple[float, ...], ...]

    def fractions(self, tokens: float, weight_bytes: float) -> tuple[float, float]:
        x, y = math.log2(max(weight_bytes, 1.0)), math.log2(max(tokens, 1.0))
        sizes = self.log_weight_bytes
        if x <= sizes[0]:
            rows = [(0, 1.0)]
        elif x >= sizes[-1]:
            rows = [(len(sizes) - 1, 1.0)]
        else:
            i = bisect.bisect_right(sizes, x) - 1
            t = (x - sizes[i]) / (sizes[i + 1] - sizes[i])
            rows = [(i, 1 - t), (i + 1, t)]
        memory = sum(w * _interp(self.log_tokens, self.memory_fraction[i], y) for i, w in rows)
        compute = sum(w * _interp(self.log_tokens, self.compute_fraction[i], y) for i, w in rows)
        return memory, compute


@dataclass(frozen=True)
class Profile:
    name: str
    status: str  # "measured" | "estimate"
    source: str
    peaks: Peaks
    launch_graph_us: float
    launch_eager_us: float
    elementwise_memory_fraction: float
    gemm_tables: Mapping[str, GemmTable]  # by precision: "bf16", "fp8"
    grouped_fixed_us: float
    grouped_kernels: int
    grouped_log_rows: tuple[float, ...]
    grouped_memory_fraction: tuple[float, ...]
    grouped_compute_fraction: tuple[float, ...]
    attention_fixed_us: float
    attention_log_batch: tuple[float, ...]
    attention_memory_fraction: tuple[float, ...]
    prefill_attention_compute_fraction: float
    link_fraction: float
    allreduce_latency_us: float
    engines: Mapping[str, Mapping[str, float]]
    derived_from: Optional[str] = None

    # ---- each class: (milliseconds without the launch, the fractions used) ------------------------
    def _roofline_ms(self, fixed_us: float, bytes_moved: float, flops: float, memory_fraction: float,
                     compute_fraction: float, precision: str) -> tuple[float, str]:
        memory_s = bytes_moved / (self.peaks.hbm_tb_s * 1e12 * memory_fraction) if bytes_moved else 0.0
        compute_s = flops / (self.peaks.tflops(precision) * 1e12 * compute_fraction) if flops else 0.0
        ramp_us = max(fixed_us - self.launch_graph_us, 0.0)
        bound = "memory" if memory_s >= compute_s else "compute"
        return ramp_us * 1e-3 + max(memory_s, compute_s) * 1e3, bound

    def gemm_table(self, precision: str) -> GemmTable:
        return self.gemm_tables.get(precision) or self.gemm_tables["bf16"]

    def gemm(self, tokens: float, k: int, n: int, weight_bytes_per_param: float, precision: str):
        table = self.gemm_table("fp8" if precision in ("fp8", "fp4") else "bf16")
        moved = gemm_bytes(tokens, k, n, weight_bytes_per_param)
        memory, compute = table.fractions(tokens, k * n * weight_bytes_per_param)
        ms, bound = self._roofline_ms(table.fixed_us, moved, 2.0 * tokens * k * n, memory, compute, precision)
        return ms, bound, memory if bound == "memory" else compute, moved

    def grouped_gemm(self, rows_per_expert: float, bytes_moved: float, flops: float, precision: str):
        x = math.log2(max(rows_per_expert, 1.0))
        memory = _interp(self.grouped_log_rows, self.grouped_memory_fraction, x)
        compute = _interp(self.grouped_log_rows, self.grouped_compute_fraction, x)
        # the measured fixed cost covers the layer's grouped GEMMs; their launches are counted apart
        fixed = self.grouped_fixed_us - (self.grouped_kernels - 1) * self.launch_graph_us
        ms, bound = self._roofline_ms(fixed, bytes_moved, flops, memory, compute, precision)
        return ms, bound, memory if bound == "memory" else compute

    def decode_attention(self, batch: float, bytes_moved: float):
        memory = _interp(self.attention_log_batch, self.attention_memory_fraction, math.log2(max(batch, 1.0)))
        ms, _ = self._roofline_ms(self.attention_fixed_us, bytes_moved, 0.0, memory, 1.0, "bf16")
        return ms, "memory", memory

    def prefill_attention(self, flops: float):
        ms, _ = self._roofline_ms(self.launch_graph_us, 0.0, flops, 1.0, self.prefill_attention_compute_fraction,
                                  "bf16")
        return ms, "compute", self.prefill_attention_compute_fraction

    def elementwise(self, bytes_moved: float):
        ms, _ = self._roofline_ms(self.launch_graph_us, bytes_moved, 0.0, self.elementwise_memory_fraction, 1.0,
                                  "bf16")
        return ms, "memory", self.elementwise_memory_fraction

    def link_ms(self, bytes_per_direction: float, link_gb_s_per_direction: float) -> float:
        if not link_gb_s_per_direction:
            return 0.0
        return bytes_per_direction / (link_gb_s_per_direction * 1e9 * self.link_fraction) * 1e3


def _table(data: Mapping) -> GemmTable:
    return GemmTable(float(data["fixed_us"]), _log2s(data["weight_bytes"]), _log2s(data["tokens"]),
                     tuple(tuple(map(float, row)) for row in data["memory_fraction"]),
                     tuple(tuple(map(float, row)) for row in data["compute_fraction"]))


def profile_of(entry) -> Profile:
    """The typed profile of a catalog entry (`PerformanceProfile.typed` builds it once per entry)."""
    peaks = Peaks(**{key: entry.peaks.get(key) for key in ("hbm_tb_s", "bf16_tflops", "fp8_tflops", "fp4_tflops")})
    grouped = entry.grouped_gemm["bf16"]
    attention = entry.decode_attention
    return Profile(
        name=entry.name, status=entry.status, source=entry.source, peaks=peaks,
        launch_graph_us=float(entry.launch_us["graph"]), launch_eager_us=float(entry.launch_us["eager"]),
        elementwise_memory_fraction=float(entry.elementwise["memory_fraction"]),
        gemm_tables={precision: _table(data) for precision, data in entry.gemm.items()},
        grouped_fixed_us=float(grouped["fixed_us"]), grouped_kernels=int(grouped.get("kernels", 2)),
        grouped_log_rows=_log2s(grouped["rows_per_expert"]),
        grouped_memory_fraction=tuple(map(float, grouped["memory_fraction"])),
        grouped_compute_fraction=tuple(map(float, grouped["compute_fraction"])),
        attention_fixed_us=float(attention["fixed_us"]), attention_log_batch=_log2s(attention["batch"]),
        attention_memory_fraction=tuple(map(float, attention["memory_fraction"])),
        prefill_attention_compute_fraction=float(entry.prefill_attention["compute_fraction"]),
        link_fraction=float(entry.collectives["link_fraction"]),
        allreduce_latency_us=float(entry.collectives["allreduce_latency_us"]),
        engines={name: dict(terms) for name, terms in (entry.engines or {}).items()},
        derived_from=entry.derived_from)

