"""The physical memory model: per GPU, weights + the engine's reserve + the KV pool, as vLLM
accounts them; per replica, KV tokens and maximum concurrency; per node, sessions. Pure.

    budget per GPU   = gpu_memory_total x gpu_memory_utilization          (vLLM requested_memory)
    kv_pool per GPU  = budget - weights per GPU - activation peak - non-torch - CUDA graphs
                       (or --kv-cache-memory-gib given directly)
    num_blocks       = kv_pool // (pool block bytes of the GPU's share of the layers)
    max_concurrency  = num_blocks / blocks one session of the effective context needs  (x DP ranks)
    sessions/replica = min(floor(max_concurrency per DP rank), max_num_seqs) x DP ranks
    sessions/node    = replicas per node x sessions per replica
With `--tensor-parallel auto` every tensor-parallel degree the model allows is planned and the
one needing the fewest nodes kept (ties: fewer GPUs per replica). Estimates of the reserve and
their sources: docs/physical-memory.md.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

from ... import findings as f
from ...errors import ArchitectureError, InputError
from ...model.layers import Component
from ...model.parameters import count_parameters
from ...model.weights import CheckpointFormat, ComponentBytes, checkpoint_format, weight_bytes
from ...units import BYTES_PER_GIB, bytes_to_gib, exact, gib_to_bytes
from ..capacity import Capacity, nodes_for
from ..kv import KvAccount, max_concurrency, paged_account, pool_blocks
from .engine import mxfp4_adjustment
from .layout import Layout, gpu_caches, layout_problems, per_gpu_weight_bytes, stage_layers
from .seed import node_hbm_bytes
from .serving import Serving

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
class Weights:
    """The checkpoint's weights by component, and where the figures come from."""

    checkpoint: CheckpointFormat
    components: tuple[ComponentBytes, ...]
    total_bytes: Fraction
    source: str
    notes: tuple[str, ...]


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

    @property
    def kv_pool_bytes_per_node(self) -> Fraction:
        """The KV pools of every GPU the node's replicas use."""
        return self.kv_pool_bytes_per_gpu * self.layout.gpus_per_replica * self.replicas_per_node


def model_weights(model, weight_format: Optional[str] = None, weights_gib: Optional[float] = None) -> Weights:
    """The checkpoint's weights: parameters counted by component in the checkpoint's format (or
    --weight-format), scaled to the checkpoint's size when one is known (--weights-gib, the
    safetensors index); one tensor-parallel block of that size when the parameters cannot be counted."""
    target = None
    if weights_gib is not None:
        target, source = gib_to_bytes(weights_gib), "--weights-gib"
    elif model.checkpoint_total_bytes:
        target, source = Fraction(model.checkpoint_total_bytes), "the checkpoint's safetensors index total_size"
    arch = model.architecture
    try:
        counts = count_parameters(arch)
        checkpoint = arch.checkpoint_format(weight_format)
    except ArchitectureError:
        if target is None:
            raise
        # the size is given but the layout of the parameters is not known: one tensor-parallel block
        checkpoint = checkpoint_format("bfloat16")
        whole = Component("weights", 0, "tp")
        return Weights(checkpoint, (ComponentBytes(whole, checkpoint.base, target),), target, source +
                       " (split evenly over tensor-parallel ranks: the parameters could not be counted by component)",
                       ())
    components = weight_bytes(counts.components, checkpoint)
    counted = sum(item.bytes for item in components)
    if target is None:
        source = f"parameters counted from config.json x {checkpoint.source}"
    if target is not None and counted > 0:  # keep the components' proportions, match the given total
        scale = target / counted
        components = tuple(ComponentBytes(i.component, i.format, i.bytes * scale) for i in components)
        counted = target
    return Weights(checkpoint, components, counted, source, counts.notes)


def estimate_reserve(arch, layout: Layout, options, max_num_batched_tokens: int) -> Reserve:
    tp = layout.tensor_parallel
    given = []
    if options.activation_peak_gib is not None:
        activation = gib_to_bytes(options.activation_peak_gib)
        given.append("activation_peak_gib")
    else:
        rows = min(options.max_num_seqs, max_num_batched_tokens)
        sampler = SAMPLER_FP32_BUFFERS * rows * (arch.vocab_size or 0) * 4
        inner = arch.activation_intermediate_size
        forward = max_num_batched_tokens * ACTIVATION_BYTES_PER_ELEMENT * (2 * arch.hidden_size + Fraction(3 * inner, tp))
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


def gpu_memory_bytes(server) -> Fraction:
    """One GPU's memory as the driver reports it (the catalog's figure), else the vendor's decimal GB."""
    if server.gpu_memory_total_gib:
        return gib_to_bytes(server.gpu_memory_total_gib)
    return Fraction(server.hbm_per_gpu_gb) * 10**9


def plan_physical(model, server, options, layout: Layout, context: int, kv_bytes: int, paging) -> PhysicalPlan:
    """One layout's plan: what a GPU holds, the KV pool left, the sessions a replica and a node hold.
    `options` are the scenario's PhysicalOptions; `paging` its block size and batched tokens."""
    arch = model.architecture
    problems = layout_problems(layout, arch, server.gpus_per_node)
    if problems:
        raise InputError(f"layout {layout.describe()} cannot run {model.name} on {server.name}: {'; '.join(problems)}")
    weights = model_weights(model, options.weight_format, options.weights_gib)
    per_gpu_weights = per_gpu_weight_bytes(weights.components, layout, arch.num_hidden_layers, arch.experts)
    engine = mxfp4_adjustment(arch, weights.checkpoint, server.gpu_architecture, layout,
                              stage_layers(arch.num_hidden_layers, layout.pipeline_parallel))
    per_gpu_weights += engine.resident_extra_bytes
    notes = weights.notes + ((engine.note,) if engine.note else ())
    gpu_total = gpu_memory_bytes(server)
    if options.kv_cache_memory_gib is not None:
        budget, reserve = None, None
        pool = gib_to_bytes(options.kv_cache_memory_gib)
    else:
        budget = gpu_total * exact(options.gpu_memory_utilization)
        reserve = estimate_reserve(arch, layout, options, paging.max_num_batched_tokens)
        pool = budget - per_gpu_weights - reserve.total_bytes
    kv = paged_account(gpu_caches(arch, layout), context, kv_bytes, paging)
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
        layout=layout, gpu_total_bytes=gpu_total, budget_bytes=budget, checkpoint=weights.checkpoint,
        weight_components=weights.components, weights_total_bytes=weights.total_bytes,
        weights_bytes_per_gpu=per_gpu_weights, weights_loading_bytes_per_gpu=per_gpu_weights + engine.loading_extra_bytes,
        weights_source=weights.source, reserve=reserve, kv_pool_bytes_per_gpu=pool, kv_per_gpu=kv,
        num_blocks_per_gpu=blocks, kv_cache_tokens=tokens_per_rank * dp, max_concurrency=per_rank * dp,
        sessions_per_replica=per_rank_sessions * dp, replicas_per_node=replicas,
        sessions_per_node=replicas * per_rank_sessions * dp,
        bound_by="max_num_seqs" if by_memory > options.max_num_seqs else "kv_cache", notes=notes)


def candidate_layouts(arch, server, base: Layout = Layout()) -> list[Layout]:
    """Every tensor-parallel degree (powers of two up to the node) this model can run with, keeping
    the pipeline, data-parallel and expert-parallel choices of `base`."""
    out, tp = [], 1
    while tp <= server.gpus_per_node:
        layout = Layout(tp, base.pipeline_parallel, base.data_parallel, base.expert_parallel)
        if not layout_problems(layout, arch, server.gpus_per_node):
            out.append(layout)
        tp *= 2
    return out


@dataclass(frozen=True)
class LayoutOption:
    """One layout `--tensor-parallel auto` compared: its plan, the node counts memory needs with it and
    the final ones (the larger of memory's and the latency targets')."""

    plan: PhysicalPlan
    capacity: Capacity
    final: Optional[Capacity] = None

    @property
    def nodes_final(self) -> Optional[int]:
        return (self.final or self.capacity).nodes_final

    @property
    def sessions_per_node(self) -> int:
        return (self.final or self.capacity).sessions_per_node

    def rank(self) -> tuple:
        """--tensor-parallel auto's order (docs/parallelism.md): fewest final nodes (none last), then
        most sessions per node, then (where the targets are met by none) fewest nodes for memory,
        then fewest GPUs per replica."""
        nodes, memory = self.nodes_final, self.capacity.nodes_final
        return (nodes is None, nodes or 0, -self.sessions_per_node, memory is None, memory or 0,
                self.plan.layout.gpus_per_replica)


@dataclass(frozen=True)
class PhysicalMemory:
    """The physical model's answer: the plan of the layout in use and, for `auto`, every layout compared."""

    plan: PhysicalPlan
    hbm_total_bytes: Fraction  # the node's HBM as the vendor states it (for the report)
    alternatives: tuple[LayoutOption, ...]  # () for a fixed layout
    findings: tuple

    name = "physical"

    @property
    def layout(self) -> Layout:
        return self.plan.layout

    @property
    def sessions_per_node(self) -> int:
        return self.plan.sessions_per_node

    @property
    def kv_pool_bytes_per_node(self) -> Fraction:
        return self.plan.kv_pool_bytes_per_node

    @property
    def most_sessions_per_node(self) -> int:
        """The most sessions one node holds, over every layout compared."""
        return max([o.plan.sessions_per_node for o in self.alternatives] or [self.plan.sessions_per_node])

    @classmethod
    def of_plan(cls, resolved, plan: PhysicalPlan, alternatives=()) -> "PhysicalMemory":
        return cls(plan, node_hbm_bytes(resolved.server), tuple(alternatives), tuple(f.physical_findings(plan)))

    @classmethod
    def choices(cls, resolved, kv) -> tuple["PhysicalMemory", ...]:
        """The plan for the requested layout; for --tensor-parallel auto, one plan per valid layout
        (the pipeline sizes each, targets included, and keeps the best: `LayoutOption.rank`)."""
        scenario, model, server = resolved.scenario, resolved.model, resolved.server
        options = scenario.physical
        if options.tensor_parallel != "auto":
            layout = Layout(options.tensor_parallel, options.pipeline_parallel, options.data_parallel,
                            options.expert_parallel)
            return (cls.of_plan(resolved, plan_physical(model, server, options, layout, resolved.context_tokens,
                                                         scenario.kv_bytes_per_element, scenario.paging)),)
        base = Layout(1, options.pipeline_parallel, options.data_parallel, options.expert_parallel)
        plans = [plan_physical(model, server, options, layout, resolved.context_tokens, scenario.kv_bytes_per_element,
                               scenario.paging) for layout in candidate_layouts(model.architecture, server, base)]
        if not plans:
            raise InputError(f"no tensor-parallel degree makes a valid layout of {model.name} on {server.name} with "
                             f"pipeline {base.pipeline_parallel}, data-parallel {base.data_parallel}")
        return tuple(cls.of_plan(resolved, plan) for plan in plans)

    @classmethod
    def build(cls, resolved, kv) -> "PhysicalMemory":
        """The plan by memory alone (for --tensor-parallel auto the best layout by memory): what a
        caller that sizes no latency uses."""
        scenario = resolved.scenario
        choices = cls.choices(resolved, kv)
        options = [LayoutOption(m.plan, nodes_for(scenario.concurrency, m.plan.sessions_per_node,
                                                  scenario.peak_headroom_ratio, scenario.ha)) for m in choices]
        best = min(options, key=LayoutOption.rank)
        return cls.of_plan(resolved, best.plan, options if len(options) > 1 else ())

    def compared(self, options) -> "PhysicalMemory":
        """This plan, with every layout auto compared (their final node counts)."""
        return dataclasses.replace(self, alternatives=tuple(options))

    def result_fields(self) -> dict:
        """What this model adds to the card's `results` block: the per-GPU and per-replica figures."""
        plan = self.plan
        return dict(weights_gib_per_gpu=bytes_to_gib(plan.weights_bytes_per_gpu),
                    reserve_gib_per_gpu=bytes_to_gib(plan.reserve.total_bytes) if plan.reserve else None,
                    kv_pool_gib_per_gpu=bytes_to_gib(plan.kv_pool_bytes_per_gpu), kv_cache_tokens=plan.kv_cache_tokens,
                    max_concurrency=plan.max_concurrency, gpus_per_replica=plan.layout.gpus_per_replica,
                    replicas_per_node=plan.replicas_per_node)

    def serving(self, resolved) -> Serving:
        plan = self.plan
        return Serving(plan.layout, plan.weight_components, plan.replicas_per_node, plan.sessions_per_replica)
