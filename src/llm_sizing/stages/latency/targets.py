"""Sizing against service targets. Pure.

The largest batch per replica that meets --target-tpot-ms and --target-ttft-ms (TPOT and TTFT
never improve with a larger batch, so bisection finds it), capped by what memory holds; sessions
per node for the targets = replicas per node x that batch; nodes for the targets as the seed
counts them (headroom, HA). Formulas: docs/performance.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ...units import ceil_div, largest_holding
from ..capacity import Capacity, nodes_for
from .roofline import Efficiency, Performance, evaluate


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


def operating_batch(concurrency: int, nodes: int, replicas_per_node: int) -> int:
    """Sessions per replica when the load spreads evenly over the fleet."""
    return max(1, ceil_div(concurrency, max(1, nodes * replicas_per_node)))
