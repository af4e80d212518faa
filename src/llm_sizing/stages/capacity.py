"""Sessions per node -> node counts (docs/formulas.md):

    nodes_minimum       = ceil(concurrency / sessions_per_node)
    nodes_with_headroom = ceil(concurrency x (1 + headroom) / sessions_per_node)
    nodes_final         = nodes_with_headroom + (1 if ha == "n+1" else 0)

All on exact rationals. When no session fits (sessions_per_node == 0) the node counts are None.
The same arithmetic counts the nodes memory needs (the capacity stage) and the nodes latency
targets need (the latency stage).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

from ..units import ceil_div, exact

HA_EXTRA_NODES = {"none": 0, "n+1": 1}


@dataclass(frozen=True)
class Capacity:
    sessions_per_node: int
    demand_with_headroom_sessions: Fraction  # concurrency x (1 + headroom)
    ha_extra_nodes: int
    nodes_minimum: Optional[int]
    nodes_with_headroom: Optional[int]
    nodes_final: Optional[int]
    concurrency: int = 0
    peak_headroom_ratio: float = 0.0
    ha: str = "none"


def nodes_for(concurrency: int, per_node: int, peak_headroom_ratio: float, ha: str) -> Capacity:
    """Node counts when one node holds `per_node` sessions."""
    demand = concurrency * (1 + exact(peak_headroom_ratio))
    extra = HA_EXTRA_NODES[ha]
    if per_node == 0:
        return Capacity(0, demand, extra, None, None, None, concurrency, peak_headroom_ratio, ha)
    with_headroom = ceil_div(demand, per_node)
    return Capacity(per_node, demand, extra, ceil_div(concurrency, per_node), with_headroom, with_headroom + extra,
                    concurrency, peak_headroom_ratio, ha)


def capacity_stage(resolved, memory) -> Capacity:
    """The nodes memory alone needs: the memory model's sessions per node, headroom and HA."""
    scenario = resolved.scenario
    return nodes_for(scenario.concurrency, memory.sessions_per_node, scenario.peak_headroom_ratio, scenario.ha)
