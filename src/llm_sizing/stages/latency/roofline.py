"""Throughput and latency of one replica: a roofline per engine step. Pure.

    decode step   = max(memory time, compute time) + layers x kernel overhead + communication
                    (pipeline parallel: a token crosses the stages in turn, so per token the stages
                    together cost what one tensor-parallel group of all the layers would, plus a
                    hand-off per stage boundary)
      memory      = bytes read per GPU / (HBM bandwidth x MBU): the weights (MoE: only the experts the
                    batch touches, E x (1 - (1 - k/E)^tokens) per layer) + every session's KV at its
                    current length, per layer kind (a sliding layer reads its window, MLA its latent,
                    V3.2 its top-k latents and every indexer key, recurrent layers read and write their state)
      compute     = (2 x active parameters x tokens + attention FLOPs) / (peak TFLOPS x MFU), per GPU
      communication = tensor-parallel all-reduces: 2 per layer of tokens x hidden x 2 B, ring
                    2 (tp - 1) / tp x bytes / (scale-up bandwidth / 2) + a latency per all-reduce
    prefill       = chunks of (max_num_batched_tokens - batch) prompt tokens, each an engine step that
                    also decodes the batch; attention FLOPs grow with the prefix (quadratic)
    TTFT          = the prompt's prefill steps
    TPOT          = decode step + batch x (prompt compute time) / output tokens   (steady state: the
                    batch's replacement prompts share the GPU)
Every formula and the defaults: docs/performance.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ...errors import InputError
from ...units import ceil_div
from ..memory.layout import Layout, gpu_caches, per_gpu_weight_bytes

#: decode kernels sustain about 80% of datasheet HBM bandwidth (aiconfigurator applies 0.8)
DEFAULT_MBU = 0.80
#: dense GEMMs reach about 60-75% of peak; prefill also runs attention and norms: 0.60
DEFAULT_MFU = 0.60
#: one all-reduce's fixed cost inside an NVLink / Infinity Fabric domain, microseconds
DEFAULT_COMM_LATENCY_US = 10.0
#: fixed cost of one decoder layer per step, on top of its roofline time: about ten kernels (norms,
#: QKV, RoPE and cache write, attention, output projection, MLP up, activation, down), each paying
#: ~4 us of launch, ramp and tail that bytes / bandwidth does not count, even under CUDA graphs
DEFAULT_LAYER_OVERHEAD_US = 40.0


@dataclass(frozen=True)
class Efficiency:
    mbu: float = DEFAULT_MBU
    mfu: float = DEFAULT_MFU
    comm_latency_us: float = DEFAULT_COMM_LATENCY_US
    layer_overhead_us: float = DEFAULT_LAYER_OVERHEAD_US


@dataclass(frozen=True)
class StepCost:
    memory_ms: float
    compute_ms: float
    communication_ms: float
    overhead_ms: float = 0.0  # layers x the per-layer kernel overhead

    @property
    def total_ms(self) -> float:
        return max(self.memory_ms, self.compute_ms) + self.overhead_ms + self.communication_ms

    @property
    def bound(self) -> str:
        return "memory" if self.memory_ms >= self.compute_ms else "compute"


@dataclass(frozen=True)
class Performance:
    batch: int  # sessions decoding together in one replica
    input_tokens: int
    output_tokens: int
    decode: StepCost  # one decode step at the mean context
    prefill_compute_ms: float  # one prompt's prefill compute alone
    prefill_chunks: int
    ttft_ms: float
    tpot_ms: float
    output_tokens_per_s: float  # per replica
    output_tokens_per_s_per_session: float
    bound: str  # which roof binds the decode step: memory | compute (communication shown apart)
    notes: tuple[str, ...] = ()


def _tflops(server, format_name: str) -> float:
    """Tensor throughput the weights' format runs at (weight-only 4-bit formats run in bf16)."""
    if format_name.startswith(("fp8", "int8")) and server.fp8_dense_tflops_per_gpu:
        return server.fp8_dense_tflops_per_gpu
    if format_name in ("nvfp4", "mxfp4") and server.fp4_dense_tflops_per_gpu:
        return server.fp4_dense_tflops_per_gpu
    return server.bf16_dense_tflops_per_gpu


def touched_fraction(experts: int, per_token: int, tokens: int) -> float:
    """Expected share of a layer's experts that `tokens` tokens (each picking `per_token`) touch."""
    if not experts or per_token >= experts:
        return 1.0
    return 1.0 - (1.0 - per_token / experts) ** tokens


@dataclass(frozen=True)
class _Model:
    """What the roofline needs, per GPU, computed once per (model, layout)."""

    dense_weight_bytes: float  # read every step
    expert_weight_bytes: float  # read in proportion to the experts touched
    dense_flops_per_token: float  # 2 x non-expert parameters / tp
    expert_flops_per_token: float  # 2 x k x parameters of one expert / (tp x dp)
    dense_tflops: float
    expert_tflops: float
    experts: int
    experts_per_token: int
    heads: int
    hidden: int
    layers_per_gpu: tuple  # the caches of every layer, as one GPU of a tensor-parallel group holds them
    tp: int
    pp: int


def _prepare(model, server, plan_components, layout: Layout) -> _Model:
    import dataclasses

    pp = layout.pipeline_parallel
    # a token crosses every pipeline stage in turn: per token, the stages together read and compute
    # what one tensor-parallel group holding all the layers would; only the hand-offs are added
    layout = dataclasses.replace(layout, pipeline_parallel=1)
    arch = model.architecture
    experts, per_token = arch.experts, (arch.experts_per_token or 1 if arch.experts else 0)
    # the input embedding is a row lookup (batch x hidden), not a full read, unless lm_head is tied to it
    has_head = any(i.component.name == "lm_head" for i in plan_components)
    dense_items = [i for i in plan_components if i.component.split != "experts"
                   and not (has_head and i.component.name == "embeddings")]
    expert_items = [i for i in plan_components if i.component.split == "experts"]
    dense_bytes = float(per_gpu_weight_bytes(dense_items, layout, arch.num_hidden_layers, experts))
    expert_bytes = float(per_gpu_weight_bytes(expert_items, layout, arch.num_hidden_layers, experts)) \
        if expert_items else 0.0
    tp, dp = layout.tensor_parallel, layout.data_parallel
    dense_params = sum(i.component.params for i in dense_items if i.component.name != "embeddings" or not has_head)
    expert_params = sum(i.component.params for i in expert_items if i.component.name == "experts")
    dense_format = next((i.format.name for i in dense_items if i.component.quantizable), "bf16")
    expert_format = expert_items[0].format.name if expert_items else dense_format
    return _Model(
        dense_weight_bytes=dense_bytes, expert_weight_bytes=expert_bytes,
        dense_flops_per_token=2.0 * dense_params / tp,
        expert_flops_per_token=(2.0 * expert_params * per_token / experts / (tp * dp)) if experts else 0.0,
        dense_tflops=_tflops(server, dense_format), expert_tflops=_tflops(server, expert_format),
        experts=experts, experts_per_token=per_token, heads=arch.num_attention_heads,
        hidden=arch.hidden_size, layers_per_gpu=gpu_caches(arch, layout), tp=tp, pp=pp)


def _step(m: _Model, server, efficiency: Efficiency, kv_bytes: int, decode_tokens: int, decode_context: int,
          prefill_tokens: int = 0, prefill_start: int = 0, replica_tokens: Optional[int] = None) -> StepCost:
    """One engine step: `decode_tokens` sessions at `decode_context` plus a prefill chunk of
    `prefill_tokens` starting at position `prefill_start`, on one GPU."""
    tokens = decode_tokens + prefill_tokens
    routed = replica_tokens if replica_tokens is not None else tokens
    touched = touched_fraction(m.experts, m.experts_per_token, routed)
    kv_read = 0.0
    attention_flops = 0.0
    for caches in m.layers_per_gpu:
        for spec in caches:
            kv_read += decode_tokens * spec.decode_read_bytes(decode_context, kv_bytes)
            attention_flops += decode_tokens * spec.attention_flops_per_token(decode_context, m.heads) / m.tp
            if prefill_tokens:  # the chunk's queries attend to the prefix and to themselves (causal)
                middle = prefill_start + prefill_tokens // 2
                attention_flops += prefill_tokens * spec.attention_flops_per_token(middle, m.heads) / m.tp
                kv_read += spec.decode_read_bytes(prefill_start + prefill_tokens, kv_bytes)
    weight_read = m.dense_weight_bytes + touched * m.expert_weight_bytes
    memory_s = (weight_read + kv_read) / (server.hbm_bandwidth_per_gpu_tb_s * 1e12 * efficiency.mbu)
    linear_s = tokens * m.dense_flops_per_token / (m.dense_tflops * 1e12 * efficiency.mfu)
    linear_s += routed * m.expert_flops_per_token / (m.expert_tflops * 1e12 * efficiency.mfu)
    attention_s = attention_flops / (server.bf16_dense_tflops_per_gpu * 1e12 * efficiency.mfu)
    communication_s = 0.0
    if m.tp > 1:
        message = tokens * m.hidden * 2
        per_direction = (server.scaleup_bandwidth_per_gpu_gb_s or 0) * 1e9 / 2
        ring = 2 * (m.tp - 1) / m.tp * message / per_direction if per_direction else 0.0
        communication_s = 2 * len(m.layers_per_gpu) * (ring + efficiency.comm_latency_us * 1e-6)
    communication_s += (m.pp - 1) * efficiency.comm_latency_us * 1e-6  # hand-offs between pipeline stages
    overhead_ms = len(m.layers_per_gpu) * efficiency.layer_overhead_us * 1e-3
    return StepCost(memory_s * 1e3, (linear_s + attention_s) * 1e3, communication_s * 1e3, overhead_ms)


def evaluate(model, server, plan_components, layout: Layout, kv_bytes: int, batch: int, input_tokens: int,
             output_tokens: int, max_num_batched_tokens: int, efficiency: Efficiency = Efficiency()) -> Performance:
    """One replica decoding `batch` sessions of `input_tokens` prompt and `output_tokens` output."""
    missing = [f for f in ("hbm_bandwidth_per_gpu_tb_s", "bf16_dense_tflops_per_gpu") if not getattr(server, f)]
    if missing:
        raise InputError(f"server '{server.name}' lacks {', '.join(missing)} for the performance model; add them "
                         f"in a user catalog")
    m = _prepare(model, server, plan_components, layout)
    dp = layout.data_parallel
    per_rank = max(1, ceil_div(batch, dp))
    mean_context = input_tokens + (output_tokens + 1) // 2
    decode = _step(m, server, efficiency, kv_bytes, per_rank, mean_context, replica_tokens=batch)
    chunk = max_num_batched_tokens - per_rank
    notes = []
    if chunk <= 0:
        ttft = float("inf")
        chunks = 0
        notes.append(f"the batch ({per_rank}) fills max_num_batched_tokens ({max_num_batched_tokens}): no room for "
                     f"prefill")
    else:
        chunks = ceil_div(input_tokens, chunk)
        ttft = 0.0
        for index in range(chunks):
            start = index * chunk
            size = min(chunk, input_tokens - start)
            ttft += _step(m, server, efficiency, kv_bytes, per_rank, mean_context, size, start,
                          replica_tokens=batch + size).total_ms
    alone = _step(m, server, efficiency, kv_bytes, 0, 0, input_tokens, 0)
    prefill_compute = alone.compute_ms
    tpot = decode.total_ms + per_rank * prefill_compute / max(output_tokens, 1)
    per_session = 1000.0 / tpot
    return Performance(batch=batch, input_tokens=input_tokens, output_tokens=output_tokens, decode=decode,
                       prefill_compute_ms=prefill_compute, prefill_chunks=chunks, ttft_ms=ttft, tpot_ms=tpot,
                       output_tokens_per_s=batch * per_session, output_tokens_per_s_per_session=per_session,
                       bound=decode.bound, notes=tuple(notes))
