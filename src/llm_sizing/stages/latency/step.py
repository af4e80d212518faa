"""One engine step on one GPU, operator by operator (docs/performance.md):

    kernels  = sum over operators of their time (each priced by the GPU's profile) + launches
    launches = kernels x per-kernel cost (in a CUDA graph for decode-only steps; prompt steps run the
               attention kernels eagerly, the rest in piecewise graphs)
    step     = kernels + the engine's per-step CPU share (step overhead + per-sequence cost)

The operators come from the layer kinds (model/layers.py: `Layer.ops`) plus the embedding lookup,
the final norm, lm_head, the logits' all-gather and the sampler. Identical layers are costed once
and counted. Pipeline parallelism: a token crosses the stages in turn, so per token the stages
together run what one tensor-parallel group of all the layers would, plus a hand-off per stage
boundary. Pure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Optional

from ...errors import ArchitectureError
from ...model.operators import (ACTIVATION_BYTES, SAMPLER_PASSES, Collective, Elementwise, Gemm, Shard, Step, norm)
from .engines import EngineTerms

FP8_FORMATS = ("fp8", "int8")
FP4_FORMATS = ("mxfp4", "nvfp4")


@dataclass(frozen=True)
class OpLine:
    name: str
    op_class: str
    count: int  # instances in the step (e.g. layers)
    kernels: int  # launches in the step
    bytes: float  # in the step, all instances
    flops: float
    ms: float  # all instances, launches excluded
    bound: str
    efficiency: float  # the fraction of the peak the profile gives this operator


@dataclass(frozen=True)
class StepCost:
    step: Step
    ops: tuple[OpLine, ...]
    launch_us: float  # per kernel, as launched in this step
    launches_ms: float
    overhead_ms: float  # the engine's CPU share
    notes: tuple[str, ...] = ()

    @property
    def kernels_ms(self) -> float:
        """GPU time: the operators and their launches."""
        return sum(op.ms for op in self.ops) + self.launches_ms

    @property
    def total_ms(self) -> float:
        return self.kernels_ms + self.overhead_ms

    def top(self, n: int = 5) -> tuple[OpLine, ...]:
        return tuple(sorted(self.ops, key=lambda op: -op.ms)[:n])

    @property
    def bound(self) -> str:
        """What most of the operators' time is bound by."""
        shares: dict[str, float] = {}
        for op in self.ops:
            shares[op.bound] = shares.get(op.bound, 0.0) + op.ms
        return max(shares, key=shares.get) if shares else "memory"


class WeightFormats:
    """Bytes per parameter and tensor-core path of each weight component, from the plan's weights."""

    def __init__(self, components, peaks):
        self.formats = {}
        for item in components:
            self.formats.setdefault(item.component.name, item.format)
        self.has_fp4 = bool(peaks.fp4_tflops)
        self.fallback = next(iter(self.formats.values()), None)

    def of(self, name: str) -> tuple[float, str]:
        fmt = self.formats.get(name) or self.formats.get("attention") or self.fallback
        if fmt is None:
            return 2.0, "bf16"
        if fmt.name.startswith(FP8_FORMATS):
            precision = "fp8"
        elif fmt.name in FP4_FORMATS:  # 4-bit floats run on FP4 tensor cores where the GPU has them
            precision = "fp4" if self.has_fp4 else "bf16"
        else:  # bf16, fp16, fp32; int4 weight-only formats dequantize to bf16
            precision = "bf16"
        return float(fmt.bits_per_param) / 8, precision


def _lines(ops_with_counts, profile, link_gb_s: float) -> list[OpLine]:
    grouped: dict[tuple, list] = {}
    for op, count in ops_with_counts:
        cost = op.cost(profile, link_gb_s)
        key = (op.name, op.op_class)
        line = grouped.setdefault(key, [0, 0, 0.0, 0.0, 0.0, cost.bound, cost.efficiency])
        line[0] += count
        line[1] += count * op.kernels
        line[2] += count * op.bytes
        line[3] += count * op.flops
        line[4] += count * cost.ms
    return [OpLine(name, op_class, c, k, b, f, ms, bound, eff)
            for (name, op_class), (c, k, b, f, ms, bound, eff) in grouped.items()]


def model_ops(arch, shard: Shard, step: Step, weights: WeightFormats, weight_components) -> tuple[list, tuple]:
    """(operator, count) for one step of the whole model on one GPU of each pipeline stage."""
    notes: tuple = ()
    hidden = arch.hidden_size
    out: list = [(Elementwise("embedding_lookup", 2 * step.tokens * hidden * ACTIVATION_BYTES), 1)]
    layers = Counter(arch.layers)
    try:
        for layer, count in layers.items():
            out += [(op, count) for op in layer.ops(step, shard, weights)]
    except ArchitectureError:
        # the layers' shapes are unknown (weights given by size only): the attention as its caches say,
        # every weight streamed as one operator
        from ...model.layers import attention_core

        out = out[:1]
        for layer, count in layers.items():
            out += [(op, count) for op in attention_core(layer.caches, step, shard,
                                                          arch.num_attention_heads // shard.tp)]
        per_gpu = sum(float(item.bytes) for item in weight_components) / shard.tp
        width, precision = weights.of("weights")
        params = per_gpu / width
        out.append((Gemm("weights (layer shapes unknown)", step.tokens, hidden, max(1, int(params / hidden)), width,
                         precision), 1))
        notes = ("the layer shapes are unknown: every weight is streamed as one operator",)
    out.append((norm("final_norm", step.tokens, hidden), 1))
    vocab = (arch.vocab_size or 0) // shard.tp
    if vocab and step.logits:
        width, precision = weights.of("lm_head")
        out.append((Gemm("lm_head", step.logits, hidden, vocab, width, precision), 1))
        if shard.tp > 1:
            out.append((Collective("logits_allgather", step.logits * vocab * shard.tp * ACTIVATION_BYTES, shard.tp,
                                   "alltoall"), 1))
        out.append((Elementwise("sampler", step.logits * vocab * shard.tp * 4 * SAMPLER_PASSES), 1))
    return out, notes


def step_cost(arch, layout, weight_components, profile, engine: EngineTerms, step: Step,
              link_gb_s_per_direction: float, weights: Optional[WeightFormats] = None) -> StepCost:
    """One engine step of one replica, on one GPU (the slowest pipeline stage chain)."""
    shard = Shard(layout.tensor_parallel, layout.data_parallel, layout.expert_parallel)
    weights = weights or WeightFormats(weight_components, profile.peaks)
    ops, notes = model_ops(arch, shard, step, weights, weight_components)
    if layout.pipeline_parallel > 1:
        ops.append((Collective("pipeline_handoff", step.tokens * arch.hidden_size * ACTIVATION_BYTES, 2, "handoff"),
                    layout.pipeline_parallel - 1))
    lines = _lines(ops, profile, link_gb_s_per_direction)
    graph, eager = profile.launch_graph_us, profile.launch_eager_us
    launches_us = 0.0
    for line in lines:
        eager_op = step.prefill and line.op_class in ("decode_attention", "prefill_attention")
        launches_us += line.kernels * (eager if eager_op else graph)
    sequences = step.decode + (1 if step.prefill else 0)
    overhead_ms = engine.step_overhead_ms + engine.per_sequence_us * 1e-3 * sequences
    return StepCost(step, tuple(lines), graph if not step.prefill else eager, launches_us * 1e-3, overhead_ms, notes)
