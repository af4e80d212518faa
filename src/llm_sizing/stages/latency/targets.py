"""Sizing against service targets. Pure.

The largest batch per replica (requests in flight, closed loop: serving.py) that meets
--target-tpot-ms and --target-ttft-ms (TPOT and TTFT never improve with a larger batch, so bisection
finds it), capped by what memory holds; sessions per node for the targets = replicas per node x that
batch; nodes for the targets as the seed counts them (headroom, HA). Formulas: docs/performance.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from ...units import ceil_div, largest_holding
from ..capacity import Capacity, nodes_for
from .serving import ServingPerformance


@dataclass(frozen=True)
class Targets:
    tpot_ms: Optional[float] = None
    ttft_ms: Optional[float] = None

    def met_by(self, performance: ServingPerformance) -> bool:
        return ((self.tpot_ms is None or performance.tpot_ms <= self.tpot_ms)
                and (self.ttft_ms is None or performance.ttft_ms <= self.ttft_ms))


@dataclass(frozen=True)
class SloPlan:
    batch_per_replica: int  # 0 when even one session misses the targets
    sessions_per_node: int
    capacity: Capacity  # node counts for the targets
    performance: Optional[ServingPerformance]  # at the chosen batch


def slo_plan(run: Callable[[int], ServingPerformance], targets: Targets, max_batch: int, replicas_per_node: int,
             concurrency: int, headroom: float, ha: str) -> SloPlan:
    """`run(batch)`: the replica's performance with `batch` requests in flight."""
    best = largest_holding(1, max_batch, lambda batch: targets.met_by(run(batch))) if max_batch >= 1 else None
    best = best or 0
    per_node = best * replicas_per_node
    return SloPlan(best, per_node, nodes_for(concurrency, per_node, headroom, ha), run(best) if best else None)


def operating_batch(concurrency: int, nodes: int, replicas_per_node: int) -> int:
    """Sessions per replica when the load spreads evenly over the fleet."""
    return max(1, ceil_div(concurrency, max(1, nodes * replicas_per_node)))
