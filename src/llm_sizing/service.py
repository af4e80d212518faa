"""Sizing against service targets, and what the fleet costs and draws. Pure.

- The largest batch per replica that meets --target-tpot-ms and --target-ttft-ms (TPOT and TTFT
  never improve with a larger batch, so bisection finds it), capped by what memory holds;
  sessions per node for the targets = replicas per node x that batch; nodes for the targets as
  the seed counts them (headroom, HA); nodes_final = the larger of the memory and the latency counts.
- Power: node power (catalog) x nodes; cost: GPUs x price per GPU-hour; $ per million output
  tokens = cost per hour / output tokens per hour at the planned load.
Formulas: docs/performance.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .capacity import Capacity, nodes_for
from .performance import Efficiency, Performance, evaluate
from .units import ceil_div, largest_holding


@dataclass(frozen=True)
class Targets:
    input_tokens: int
    output_tokens: int
    tpot_ms: Optional[float] = None
    ttft_ms: Optional[float] = None
    efficiency: Efficiency = Efficiency()


@dataclass(frozen=True)
class SloPlan:
    batch_per_replica: int  # 0 when even one session misses the targets
    sessions_per_node: int
    capacity: Capacity  # node counts for the targets
    performance: Optional[Performance]  # at the chosen batch


def meets(performance: Performance, targets: Targets) -> bool:
    return ((targets.tpot_ms is None or performance.tpot_ms <= targets.tpot_ms)
            and (targets.ttft_ms is None or performance.ttft_ms <= targets.ttft_ms))


def slo_plan(model, server, components, layout, kv_bytes, targets: Targets, max_batch: int, replicas_per_node: int,
             max_num_batched_tokens: int, concurrency: int, headroom: float, ha: str) -> SloPlan:
    def run(batch: int) -> Performance:
        return evaluate(model, server, components, layout, kv_bytes, batch, targets.input_tokens,
                        targets.output_tokens, max_num_batched_tokens, targets.efficiency)

    best = largest_holding(1, max_batch, lambda batch: meets(run(batch), targets)) if max_batch >= 1 else None
    best = best or 0
    best_perf = run(best) if best else None
    per_node = best * replicas_per_node
    return SloPlan(best, per_node, nodes_for(concurrency, per_node, headroom, ha), best_perf)


@dataclass(frozen=True)
class PowerCost:
    power_kw_per_node: Optional[float]
    power_kw_cluster: Optional[float]
    power_source: str
    usd_per_hour: Optional[float]
    usd_per_million_output_tokens: Optional[float]
    output_tokens_per_s_cluster: Optional[float]


def power_and_cost(server, nodes: Optional[int], price_per_gpu_hour: Optional[float],
                   output_tokens_per_s_cluster: Optional[float]) -> PowerCost:
    if server.node_power_kw:
        per_node, source = server.node_power_kw, "catalog node power"
    elif server.tdp_per_gpu_w:
        per_node, source = server.gpus_per_node * server.tdp_per_gpu_w / 1000, "GPUs x TDP only (no node figure)"
    else:
        per_node, source = None, "unknown"
    cluster = per_node * nodes if (per_node is not None and nodes is not None) else None
    price = price_per_gpu_hour if price_per_gpu_hour is not None else server.price_per_gpu_hour_usd
    per_hour = price * server.gpus_per_node * nodes if (price is not None and nodes is not None) else None
    per_million = None
    if per_hour is not None and output_tokens_per_s_cluster:
        per_million = per_hour / (output_tokens_per_s_cluster * 3600) * 1e6
    return PowerCost(per_node, cluster, source, per_hour, per_million, output_tokens_per_s_cluster)


def operating_batch(concurrency: int, nodes: int, replicas_per_node: int) -> int:
    """Sessions per replica when the load spreads evenly over the fleet."""
    return max(1, ceil_div(concurrency, max(1, nodes * replicas_per_node)))
