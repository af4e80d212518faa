"""The inverse questions, on the same arithmetic as sizing:

  fit_context:     the largest effective context at which `concurrency` sessions fit on `nodes`
  fit_concurrency: the most sessions of the scenario's context that fit on `nodes`

"Fit" means nodes_final <= nodes, headroom, HA, latency targets and the layout choice included.
nodes_final never falls as the concurrency grows, so the most sessions is found by bisection over
the sizing itself; under the seed's rule it is floor((N - ha_extra) x s / (1 + h)), since
  ceil(c x (1 + h) / s) + ha_extra <= N  <=>  c x (1 + h) <= (N - ha_extra) x s   (s = sessions_per_node).
A context fits when
s(context) >= ceil(c x (1 + h) / (N - ha_extra)), with s from the sizing itself (the seed's rule or
the physical model). KV bytes never decrease with the context, so the largest context is found by
bisection over [1, max_position_embeddings]. Pure functions.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

from .calculate import Sizing, size
from .capacity import HA_EXTRA_NODES
from .catalog import Catalog
from .errors import InputError
from .scenario import Scenario
from .units import ceil_div, exact, largest_holding


@dataclass(frozen=True)
class Fit:
    question: str  # "context" | "concurrency"
    nodes: int
    answer: Optional[int]  # tokens or sessions; None when nothing fits
    sizing: Optional[Sizing]  # the sizing at the answer
    reason: str


def _usable_nodes(scenario: Scenario, nodes: int) -> int:
    if not isinstance(nodes, int) or isinstance(nodes, bool) or nodes <= 0:
        raise InputError(f"--nodes must be a whole number > 0; got {nodes!r}")
    return nodes - HA_EXTRA_NODES[scenario.ha]


def fit_concurrency(scenario: Scenario, catalog: Catalog, nodes: int) -> Fit:
    usable = _usable_nodes(scenario, nodes)
    if usable <= 0:
        return Fit("concurrency", nodes, None, None, "--ha n+1 keeps the only node as a spare")
    probe = size(dataclasses.replace(scenario, concurrency=1), catalog)
    layouts = [plan.sessions_per_node for plan, _ in probe.layout_alternatives] or [probe.results.sessions_per_node]
    per_node = max(layouts)  # memory's most sessions per node, over every layout tried
    if per_node == 0 or probe.results.nodes_final is None:
        return Fit("concurrency", nodes, None, None, "one node holds no session of this context"
                   if per_node == 0 else "even one session cannot be served (see the findings)")

    def fits(concurrency: int) -> bool:  # the sizing itself decides: memory, latency targets, layout choice
        final = size(dataclasses.replace(scenario, concurrency=concurrency), catalog).results.nodes_final
        return final is not None and final <= nodes

    # an upper bound: memory alone, without headroom; nodes_final never falls as concurrency grows
    low = largest_holding(1, usable * per_node, fits)
    if low is None:
        return Fit("concurrency", nodes, None, None, f"even one session needs more than {nodes} node(s)")
    answer = size(dataclasses.replace(scenario, concurrency=low), catalog)
    return Fit("concurrency", nodes, low, answer,
               f"most sessions with nodes_final <= {nodes} (memory gives at most {per_node:,} per node, "
               f"headroom {scenario.peak_headroom_ratio:g}, ha {scenario.ha})")


def fit_context(scenario: Scenario, catalog: Catalog, nodes: int) -> Fit:
    usable = _usable_nodes(scenario, nodes)
    if usable <= 0:
        return Fit("context", nodes, None, None, "--ha n+1 keeps the only node as a spare")
    model = catalog.model(scenario.model)
    needed = ceil_div(scenario.concurrency * (1 + exact(scenario.peak_headroom_ratio)), usable)

    def fits(context: int) -> bool:  # sessions per node as the sizing computes them (seed or physical)
        return size(dataclasses.replace(scenario, effective_context=context), catalog).results.sessions_per_node \
            >= needed

    low = largest_holding(1, model.max_position_embeddings, fits)
    if low is None:
        return Fit("context", nodes, None, None,
                   f"even a 1-token context fits fewer than the {needed} sessions per node needed")
    answer = size(dataclasses.replace(scenario, effective_context=low), catalog)
    limit = " (the model's max_position_embeddings)" if low == model.max_position_embeddings else ""
    return Fit("context", nodes, low, answer, f"{needed} sessions per node needed; largest context{limit}")
