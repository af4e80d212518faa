"""The inverse questions, on the same arithmetic as sizing:

  fit_context:     the largest effective context at which `concurrency` sessions fit on `nodes`
  fit_concurrency: the most sessions of the scenario's context that fit on `nodes`

"Fit" means nodes_final <= nodes, headroom and HA included:
  ceil(c x (1 + h) / s) + ha_extra <= N  <=>  c x (1 + h) <= (N - ha_extra) x s   (s = sessions_per_node)
so the most sessions is floor((N - ha_extra) x s / (1 + h)), and a context fits when
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
from .units import ceil_div, exact, floor_div


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
    probe = size(dataclasses.replace(scenario, concurrency=1), catalog)
    per_node = probe.capacity.sessions_per_node
    if usable <= 0 or per_node == 0:
        why = ("--ha n+1 keeps the only node as a spare" if usable <= 0
               else "one node's KV budget holds no session of this context")
        return Fit("concurrency", nodes, None, None, why)
    most = floor_div(usable * per_node, 1 + exact(scenario.peak_headroom_ratio))
    if most == 0:
        return Fit("concurrency", nodes, None, None, "the peak headroom leaves room for no session")
    answer = size(dataclasses.replace(scenario, concurrency=most), catalog)
    return Fit("concurrency", nodes, most, answer,
               f"floor(({nodes} - {HA_EXTRA_NODES[scenario.ha]}) x {per_node} / (1 + {scenario.peak_headroom_ratio:g}))")


def fit_context(scenario: Scenario, catalog: Catalog, nodes: int) -> Fit:
    usable = _usable_nodes(scenario, nodes)
    if usable <= 0:
        return Fit("context", nodes, None, None, "--ha n+1 keeps the only node as a spare")
    model = catalog.model(scenario.model)
    needed = ceil_div(scenario.concurrency * (1 + exact(scenario.peak_headroom_ratio)), usable)

    def fits(context: int) -> bool:  # sessions per node as the sizing computes them (seed or physical)
        return size(dataclasses.replace(scenario, effective_context=context), catalog).results.sessions_per_node \
            >= needed

    low, high = 1, model.max_position_embeddings
    if not fits(low):
        return Fit("context", nodes, None, None,
                   f"even a 1-token context fits fewer than the {needed} sessions per node needed")
    while low < high:  # invariant: fits(low)
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    answer = size(dataclasses.replace(scenario, effective_context=low), catalog)
    limit = " (the model's max_position_embeddings)" if low == model.max_position_embeddings else ""
    return Fit("context", nodes, low, answer, f"{needed} sessions per node needed; largest context{limit}")
