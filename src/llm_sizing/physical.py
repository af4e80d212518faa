"""The physical memory model: per GPU, weights + the engine's reserve + the KV pool, as vLLM
accounts them; per replica, KV tokens and maximum concurrency; per node, sessions. Pure.

    budget per GPU   = gpu_memory_total x gpu_memory_utilization          (vLLM requested_memory)
    kv_pool per GPU  = budget - weights per GPU - activation peak - non-torch - CUDA graphs
                       (or --kv-cache-memory-gib given directly)
    num_blocks       = kv_pool // (pool block bytes of the GPU's share of the layers)
    max_concurrency  = num_blocks / blocks one session of the effective context needs  (x DP ranks)
    sessions/replica = min(floor(max_concurrency per DP rank), max_num_seqs) x DP ranks
    sessions/node    = replicas per node x sessions per replica
Estimates of the reserve and their sources: docs/physical-memory.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

from .accounting import KvAccount, max_concurrency, paged_account, pool_blocks
from .architecture import text_config
from .catalog import ModelEntry, ServerEntry
from .errors import InputError
from .kv import Paging
from .layout import Layout, layout_problems, per_gpu_architecture, per_gpu_weight_bytes, stage_layers
from .errors import ArchitectureError
from .parameters import Component, count_parameters
from .scenario import PhysicalOptions, Scenario
from .units import BYTES_PER_GIB, exact, gib_to_bytes
from .vllm_engine import mxfp4_adjustment
from .weights import CheckpointFormat, ComponentBytes, read_checkpoint_format, weight_bytes

#: fp32 [rows x vocab] buffers alive at the peak of vLLM v1's sampler dummy run (top-k/top-p and
#: random sampling path): bf16 logits 0.5 + fp32 logits 1 + sorted values 1 + int64 sort indices 2
#: + sorted softmax 1 + bool top-p mask 0.25 + scattered logits 1 + probabilities 1 + exponential
#: noise 1 + probabilities / noise 1 = 9.75 (llm-d's H100 logs imply 9.6-9.9 for five models)
SAMPLER_FP32_BUFFERS = Fraction(39, 4)
#: bytes per token live in one decoder layer's forward at the profile run's peak (bf16): residual,
#: normed hidden, the MLP's gate+up output (2 x intermediate) and its activation (intermediate)
ACTIVATION_BYTES_PER_ELEMENT = 2
#: memory outside torch's allocator after start-up (cuBLAS/cuDNN workspaces; custom all-reduce
#: buffers when tensor parallel): vLLM's "non_torch_memory", as logged on H100 (llm-d
#: empirical-vllm-memory-results.md: 0.13-0.14 GiB at TP1 for five models, 0.55 GiB at TP2)
NON_TORCH_GIB_SINGLE_GPU = Fraction(13, 100)  # 0.13 GiB
NON_TORCH_GIB_PER_EXTRA_RANK_GROUP = Fraction(42, 100)  # + 0.42 GiB when TP > 1 (0.55 in all)


@dataclass(frozen=True)
class Reserve:
    activation_peak_bytes: Fraction
    non_torch_bytes: Fraction
    cuda_graphs_bytes: Fraction
    given: tuple[str, ...]  # which parts the user gave instead of the estimate

    @property
    def total_bytes(self) -> Fraction:
        return self.activation_peak_bytes + self.non_torch_bytes + self.cuda_graphs_bytes


@dataclass(frozen=True)
class PhysicalPlan:
    layout: Layout
    gpu_total_bytes: Fraction
    budget_bytes: Optional[Fraction]  # total x utilization; None when the KV pool was given
    checkpoint: CheckpointFormat
    weight_components: tuple[ComponentBytes, ...]
    weights_total_bytes: Fraction
    weights_bytes_per_gpu: Fraction  # resident: what the KV budget is computed with
    weights_loading_bytes_per_gpu: Fraction  # what vLLM prints as "Model loading took"
    weights_source: str
    reserve: Optional[Reserve]
    kv_pool_bytes_per_gpu: Fraction
    kv_per_gpu: KvAccount  # paged, the GPU's share of one session of the effective context
    num_blocks_per_gpu: int
    kv_cache_tokens: int  # per replica, as vLLM's "GPU KV cache size" (x DP ranks)
    max_concurrency: float  # per replica, as vLLM's "Maximum concurrency" (x DP ranks)
    sessions_per_replica: int
    replicas_per_node: int
    sessions_per_node: int
    bound_by: str  # "kv_cache" | "max_num_seqs"
    notes: tuple[str, ...]


def _experts(model: ModelEntry) -> int:
    c = text_config(model.config)
    for key in ("n_routed_experts", "num_local_experts", "num_experts"):
        if isinstance(c.get(key), int) and c[key] > 0:
            return c[key]
    return 0


def _kv_heads(model: ModelEntry) -> int:
    value = text_config(model.config).get("num_key_value_heads")
    return value if isinstance(value, int) else 0


def _weights(model: ModelEntry, options: PhysicalOptions):
    target = None
    if options.weights_gib is not None:
        target, source = gib_to_bytes(options.weights_gib), "--weights-gib"
    elif model.checkpoint_total_bytes:
        target, source = Fraction(model.checkpoint_total_bytes), "the checkpoint's safetensors index total_size"
    label = f"model '{model.name}'"
    try:
        counts = count_parameters(model.config, model.architecture, label)
        checkpoint = read_checkpoint_format(model.config, model.hf_quant_config, options.weight_format, label)
    except ArchitectureError:
        if target is None:
            raise
        # the size is given but the layout of the parameters is not known: one tensor-parallel block
        checkpoint = read_checkpoint_format({}, None, None, label)
        whole = Component("weights", 0, "tp")
        return checkpoint, (ComponentBytes(whole, checkpoint.base, target),), target, source + \
            " (split evenly over tensor-parallel ranks: the parameters could not be counted by component)", ()
    components = weight_bytes(counts, checkpoint)
    counted = sum(item.bytes for item in components)
    notes = list(counts.notes)
    if target is None:
        source = f"parameters counted from config.json x {checkpoint.source}"
    if target is not None and counted > 0:  # keep the components' proportions, match the given total
        scale = target / counted
        components = tuple(ComponentBytes(i.component, i.format, i.bytes * scale) for i in components)
        counted = target
    return checkpoint, components, counted, source, tuple(notes)


def estimate_reserve(model: ModelEntry, layout: Layout, options: PhysicalOptions,
                     max_num_batched_tokens: int) -> Reserve:
    c = text_config(model.config)
    tp = layout.tensor_parallel
    given = []
    if options.activation_peak_gib is not None:
        activation = gib_to_bytes(options.activation_peak_gib)
        given.append("activation_peak_gib")
    else:
        rows = min(options.max_num_seqs, max_num_batched_tokens)
        sampler = SAMPLER_FP32_BUFFERS * rows * c.get("vocab_size", 0) * 4
        hidden = c.get("hidden_size", 0)
        experts_per_token = c.get("num_experts_per_tok") or c.get("experts_per_token") or c.get("top_k_experts") or 0
        if _experts(model) and experts_per_token:
            inner = experts_per_token * (c.get("moe_intermediate_size") or c.get("intermediate_size") or 0)
        else:
            inner = c.get("intermediate_size_mlp") or c.get("intermediate_size") or 0
        forward = max_num_batched_tokens * ACTIVATION_BYTES_PER_ELEMENT * (2 * hidden + Fraction(3 * inner, tp))
        activation = max(sampler, forward)  # the forward's activations are freed before the sampler runs
    if options.non_torch_gib is not None:
        non_torch = gib_to_bytes(options.non_torch_gib)
        given.append("non_torch_gib")
    else:
        non_torch = (NON_TORCH_GIB_SINGLE_GPU + (NON_TORCH_GIB_PER_EXTRA_RANK_GROUP if tp > 1 else 0)) * BYTES_PER_GIB
    if options.cuda_graphs_gib is not None:
        graphs = gib_to_bytes(options.cuda_graphs_gib)
        given.append("cuda_graphs_gib")
    else:
        graphs = Fraction(0)  # vLLM before v0.21 does not subtract CUDA graph memory from the KV budget
    return Reserve(activation, non_torch, graphs, tuple(given))


def plan_physical(model: ModelEntry, server: ServerEntry, scenario: Scenario, layout: Layout,
                  context: int) -> PhysicalPlan:
    options = scenario.physical
    problems = layout_problems(layout, text_config(model.config).get("num_attention_heads", 1), _kv_heads(model),
                               model.num_hidden_layers, _experts(model), server.gpus_per_node)
    if problems:
        raise InputError(f"layout {layout.describe()} cannot run {model.name} on {server.name}: {'; '.join(problems)}")
    checkpoint, components, total, source, notes = _weights(model, options)
    per_gpu_weights = per_gpu_weight_bytes(components, layout, _kv_heads(model), model.num_hidden_layers,
                                           _experts(model))
    engine = mxfp4_adjustment(model.config, checkpoint, server.gpu_architecture, layout,
                              stage_layers(model.num_hidden_layers, layout.pipeline_parallel))
    per_gpu_weights += engine.resident_extra_bytes
    notes = notes + ((engine.note,) if engine.note else ())
    gpu_total = gib_to_bytes(server.gpu_memory_total_gib) if server.gpu_memory_total_gib else \
        Fraction(server.hbm_per_gpu_gb) * 10**9
    if options.kv_cache_memory_gib is not None:
        budget, reserve = None, None
        pool = gib_to_bytes(options.kv_cache_memory_gib)
    else:
        budget = gpu_total * exact(options.gpu_memory_utilization)
        reserve = estimate_reserve(model, layout, options, scenario.max_num_batched_tokens)
        pool = budget - per_gpu_weights - reserve.total_bytes
    paging = Paging(scenario.block_size, scenario.max_num_batched_tokens)
    gpu_arch = per_gpu_architecture(model.architecture, layout)
    kv = paged_account(gpu_arch, context, scenario.kv_bytes_per_element, paging)
    blocks = pool_blocks(max(pool, 0), kv)
    per_rank = max_concurrency(blocks, kv)
    if kv.vllm_groups and kv.vllm_groups > 1:
        tokens_per_rank = int(per_rank * context)  # vLLM prints max concurrency x max_model_len for hybrids
    else:
        tokens_per_rank = blocks * kv.block_tokens
    dp = layout.data_parallel
    by_memory = math.floor(per_rank)
    per_rank_sessions = min(by_memory, options.max_num_seqs)
    replicas = server.gpus_per_node // layout.gpus_per_replica
    return PhysicalPlan(
        layout=layout, gpu_total_bytes=gpu_total, budget_bytes=budget, checkpoint=checkpoint,
        weight_components=components, weights_total_bytes=total, weights_bytes_per_gpu=per_gpu_weights,
        weights_loading_bytes_per_gpu=per_gpu_weights + engine.loading_extra_bytes,
        weights_source=source, reserve=reserve, kv_pool_bytes_per_gpu=pool, kv_per_gpu=kv,
        num_blocks_per_gpu=blocks, kv_cache_tokens=tokens_per_rank * dp, max_concurrency=per_rank * dp,
        sessions_per_replica=per_rank_sessions * dp, replicas_per_node=replicas,
        sessions_per_node=replicas * per_rank_sessions * dp,
        bound_by="max_num_seqs" if by_memory > options.max_num_seqs else "kv_cache", notes=notes)


def candidate_layouts(model: ModelEntry, server: ServerEntry, base: Layout = Layout()) -> list[Layout]:
    """Every tensor-parallel degree (powers of two up to the node) this model can run with, keeping
    the pipeline, data-parallel and expert-parallel choices of `base`."""
    out, tp = [], 1
    while tp <= server.gpus_per_node:
        layout = Layout(tp, base.pipeline_parallel, base.data_parallel, base.expert_parallel)
        if not layout_problems(layout, text_config(model.config).get("num_attention_heads", 1), _kv_heads(model),
                               model.num_hidden_layers, _experts(model), server.gpus_per_node):
            out.append(layout)
        tp *= 2
    return out
