"""The latency stage: with a workload (--input-tokens, --output-tokens), the performance of the replica
the memory plan runs; with targets, the nodes the targets need and which constraint binds:

    nodes_final = nodes_for_slo when latency binds (it needs more nodes, or no batch meets the
                  targets), else nodes_for_memory
    performance at the operating point: the concurrency spread evenly over nodes_final's replicas

Roofline: roofline.py; targets: targets.py; formulas: docs/performance.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ... import findings as f
from ...errors import InputError
from ..capacity import Capacity
from ..memory.serving import Serving
from .roofline import Efficiency, Performance, evaluate
from .targets import SloPlan, Targets, operating_batch, slo_plan


@dataclass(frozen=True)
class Latency:
    input_tokens: int
    output_tokens: int
    efficiency: Efficiency
    serving: Serving
    memory_capacity: Capacity  # what memory alone needs
    final_capacity: Capacity  # the larger need of memory and latency
    slo: Optional[SloPlan]  # with targets
    binding_constraint: Optional[str]  # "memory" | "latency" (with targets)
    binding_margin_nodes: Optional[int]  # nodes_for_slo - nodes_for_memory (> 0: latency needs more)
    performance: Optional[Performance]  # at the operating point
    findings: tuple

    @property
    def latency_binds(self) -> bool:
        return self.binding_constraint == "latency"


def has_performance_figures(server) -> bool:
    return bool(server.hbm_bandwidth_per_gpu_tb_s and server.bf16_dense_tflops_per_gpu)


def latency_stage(resolved, memory, capacity: Capacity) -> Optional[Latency]:
    """None without a workload, without the server's performance figures, or when memory holds no
    session (then memory's finding says why)."""
    scenario, model, server = resolved.scenario, resolved.model, resolved.server
    options = scenario.service
    figures = has_performance_figures(server)
    if options.has_targets and not figures:
        raise InputError(f"latency targets need the server's performance figures: '{server.name}' lacks "
                         f"hbm_bandwidth_per_gpu_tb_s or bf16_dense_tflops_per_gpu (add them in a user catalog)")
    if not (options.has_workload and figures and capacity.sessions_per_node > 0):
        return None
    serving = memory.serving(resolved)
    if serving is None:
        return None
    efficiency = Efficiency(options.mbu, options.mfu, options.comm_latency_us, options.layer_overhead_us)
    slo = binding = margin = None
    final = capacity
    found: list = []
    if options.has_targets:
        targets = Targets(options.input_tokens, options.output_tokens, options.target_tpot_ms, options.target_ttft_ms,
                          efficiency)
        slo = slo_plan(model, server, serving.weight_components, serving.layout, scenario.kv_bytes_per_element,
                       targets, serving.sessions_per_replica, serving.replicas_per_node,
                       scenario.max_num_batched_tokens, scenario.concurrency, scenario.peak_headroom_ratio,
                       scenario.ha)
        binds = slo.batch_per_replica == 0 or (capacity.nodes_final is not None
                                               and slo.capacity.nodes_final > capacity.nodes_final)
        final = slo.capacity if binds else capacity
        binding = "latency" if binds else "memory"
        if slo.capacity.nodes_final is not None and capacity.nodes_final is not None:
            margin = slo.capacity.nodes_final - capacity.nodes_final
        found = f.slo_unreachable(slo.batch_per_replica, options.target_tpot_ms, options.target_ttft_ms)
    performance = None
    if final.nodes_final:
        batch = operating_batch(scenario.concurrency, final.nodes_final - final.ha_extra_nodes,
                                serving.replicas_per_node)
        performance = evaluate(model, server, serving.weight_components, serving.layout,
                               scenario.kv_bytes_per_element, batch, options.input_tokens, options.output_tokens,
                               scenario.max_num_batched_tokens, efficiency)
    return Latency(options.input_tokens, options.output_tokens, efficiency, serving, capacity, final, slo, binding,
                   margin, performance, tuple(found))
