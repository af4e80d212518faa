"""The latency stage: how fast the replica the memory plan runs serves, operator by operator
(step.py) on the GPU's measured or estimated profile (profile.py), under load (serving.py):

- the decode speed at the memory packing, always: every session memory holds, decoding at the
  context used (TPOT and tokens per second per session), with a warning below reading speed;
- with a workload (--input-tokens, --output-tokens): the closed-loop performance at the operating
  point (the concurrency spread evenly over nodes_final's replicas);
- with targets: the nodes the targets need, and which constraint binds:
      nodes_final = nodes_for_slo when latency binds (it needs more nodes, or no batch meets the
                    targets), else nodes_for_memory.
Formulas: docs/performance.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ... import findings as f
from ...errors import ArchitectureError
from ...units import largest_holding
from ..capacity import Capacity, nodes_for
from ..memory.serving import Serving
from .engines import EngineTerms, engine_terms
from .serving import ServingPerformance, closed_loop
from .step import StepCost, step_cost
from .targets import SloPlan, Targets, operating_batch, slo_plan
from ...model.operators import Step

#: a person reads about 5 words (some 7 tokens) a second; below 10 tokens a second a stream lags its reader
READING_TOKENS_PER_S = 10.0


@dataclass(frozen=True)
class Packing:
    """The decode speed when every session memory holds decodes at the context used."""

    sessions_per_replica: int
    context_tokens: int
    step: StepCost

    @property
    def tpot_ms(self) -> float:
        return self.step.total_ms

    @property
    def tokens_per_s_per_session(self) -> float:
        return 1e3 / self.step.total_ms


@dataclass(frozen=True)
class Latency:
    profile: object  # stages.latency.profile.Profile
    engine: EngineTerms
    serving: Serving
    packing: Optional[Packing]  # None when memory holds no session
    readable_nodes: Optional[int]  # nodes at which decode reaches reading speed (when packing is slower)
    input_tokens: Optional[int]
    output_tokens: Optional[int]
    memory_capacity: Capacity  # what memory alone needs
    final_capacity: Capacity  # the larger need of memory and latency
    slo: Optional[SloPlan]  # with targets
    binding_constraint: Optional[str]  # "memory" | "latency" (with targets)
    binding_margin_nodes: Optional[int]  # nodes_for_slo - nodes_for_memory (> 0: latency needs more)
    performance: Optional[ServingPerformance]  # at the operating point (with a workload)
    findings: tuple

    @property
    def latency_binds(self) -> bool:
        return self.binding_constraint == "latency"


def _readable_nodes(decode_tpot, max_batch: int, replicas: int, scenario) -> Optional[int]:
    """Nodes whose replicas decode at reading speed: the largest batch with TPOT <= 1 / 10 tokens a second."""
    batch = largest_holding(1, max_batch, lambda b: decode_tpot(b) <= 1e3 / READING_TOKENS_PER_S)
    if not batch:
        return None
    return nodes_for(scenario.concurrency, batch * replicas, scenario.peak_headroom_ratio, scenario.ha).nodes_final


def latency_stage(resolved, memory, capacity: Capacity) -> Optional[Latency]:
    """None without a performance profile for the server, or when the model's weights cannot be laid
    out (then the other stages say why)."""
    scenario, model, server = resolved.scenario, resolved.model, resolved.server
    options = scenario.service
    if resolved.profile is None:  # with targets, refused when resolved
        return None
    if capacity.sessions_per_node == 0:
        return None
    try:
        serving = memory.serving(resolved)
    except ArchitectureError:
        if options.has_targets:
            raise
        return None
    if serving is None:
        return None
    profile = resolved.profile.typed
    engine = engine_terms(options.engine, profile)
    link = (server.scaleup_bandwidth_per_gpu_gb_s or 0) / 2  # vendors quote both directions
    arch, kv_bytes, budget = model.architecture, scenario.kv_bytes_per_element, scenario.max_num_batched_tokens

    def decode_tpot(batch: int) -> float:
        step = Step(max(1, -(-batch // serving.layout.data_parallel)), resolved.context_tokens,
                    routed=batch, kv_bytes=kv_bytes)
        return step_cost(arch, serving.layout, serving.weight_components, profile, engine, step, link).total_ms

    packing, readable, found = None, None, []
    if serving.sessions_per_replica > 0:
        per_rank = max(1, -(-serving.sessions_per_replica // serving.layout.data_parallel))
        step = step_cost(arch, serving.layout, serving.weight_components, profile, engine,
                         Step(per_rank, resolved.context_tokens, routed=serving.sessions_per_replica,
                              kv_bytes=kv_bytes), link)
        packing = Packing(serving.sessions_per_replica, resolved.context_tokens, step)
        if packing.tokens_per_s_per_session < READING_TOKENS_PER_S:
            readable = _readable_nodes(decode_tpot, serving.sessions_per_replica, serving.replicas_per_node, scenario)
            found += f.slow_decode_at_memory_packing(packing.tokens_per_s_per_session, packing.tpot_ms,
                                                    serving.sessions_per_replica * serving.replicas_per_node,
                                                    resolved.context_tokens, readable, READING_TOKENS_PER_S)

    def run(batch: int) -> ServingPerformance:
        return closed_loop(arch, serving.layout, serving.weight_components, profile, engine, kv_bytes, batch,
                           options.input_tokens, options.output_tokens, budget, link)

    slo = binding = margin = performance = None
    final = capacity
    if options.has_targets:
        targets = Targets(options.target_tpot_ms, options.target_ttft_ms)
        slo = slo_plan(run, targets, serving.sessions_per_replica, serving.replicas_per_node, scenario.concurrency,
                       scenario.peak_headroom_ratio, scenario.ha)
        binds = slo.batch_per_replica == 0 or (capacity.nodes_final is not None
                                               and slo.capacity.nodes_final > capacity.nodes_final)
        final = slo.capacity if binds else capacity
        binding = "latency" if binds else "memory"
        if slo.capacity.nodes_final is not None and capacity.nodes_final is not None:
            margin = slo.capacity.nodes_final - capacity.nodes_final
        found += f.slo_unreachable(slo.batch_per_replica, options.target_tpot_ms, options.target_ttft_ms)
    if options.has_workload and final.nodes_final:
        performance = run(operating_batch(scenario.concurrency, final.nodes_final - final.ha_extra_nodes,
                                          serving.replicas_per_node))
    return Latency(profile, engine, serving, packing, readable, options.input_tokens, options.output_tokens,
                   capacity, final, slo, binding, margin, performance, tuple(found))
