"""Sessions per node and node counts (docs/formulas.md):

    sessions_per_node   = floor(budget / kv_per_session)
    nodes_minimum       = ceil(concurrency / sessions_per_node)
    nodes_with_headroom = ceil(concurrency x (1 + headroom) / sessions_per_node)
    nodes_final         = nodes_with_headroom + (1 if ha == "n+1" else 0)

All on exact rationals. When no session fits (sessions_per_node == 0) the node counts are None.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

from .units import ceil_div, exact, floor_div

HA_EXTRA_NODES = {"none": 0, "n+1": 1}


@dataclass(frozen=True)
class Capacity:
    sessions_per_node: int
    demand_with_headroom_sessions: Fraction  # concurrency x (1 + headroom)
    ha_extra_nodes: int
    nodes_minimum: Optional[int]
    nodes_with_headroom: Optional[int]
    nodes_final: Optional[int]


def sessions_per_node(kv_budget_bytes: Fraction, kv_per_session_bytes: int) -> int:
    if kv_budget_bytes <= 0:
        return 0
    return floor_div(kv_budget_bytes, kv_per_session_bytes)


def plan_capacity(concurrency: int, kv_per_session_bytes: int, kv_budget_bytes: Fraction,
                  peak_headroom_ratio: float, ha: str) -> Capacity:
    return nodes_for(concurrency, sessions_per_node(kv_budget_bytes, kv_per_session_bytes), peak_headroom_ratio, ha)


def nodes_for(concurrency: int, per_node: int, peak_headroom_ratio: float, ha: str) -> Capacity:
    """Node counts when one node holds `per_node` sessions."""
    demand = concurrency * (1 + exact(peak_headroom_ratio))
    extra = HA_EXTRA_NODES[ha]
    if per_node == 0:
        return Capacity(0, demand, extra, None, None, None)
    with_headroom = ceil_div(demand, per_node)
    return Capacity(per_node, demand, extra, ceil_div(concurrency, per_node), with_headroom, with_headroom + extra)
