"""The inverse questions, on the same arithmetic as sizing (`FitQuestion`):

  context:     the largest effective context at which `concurrency` sessions fit on `nodes`
  concurrency: the most sessions of the scenario's context that fit on `nodes`

"Fit" means the sizing's nodes_final <= nodes: headroom, HA, latency targets and the layout choice
included. nodes_final never falls as the concurrency or the context grows (KV bytes never decrease
with the context), so both answers are found by bisection over the sizing itself:
  concurrency in [1, min(bound, (nodes - ha_extra) x the most sessions one node's memory holds)]
  context     in [input + output tokens (1 without a workload), min(bound, max_position_embeddings)]
Under the seed's rule the most sessions is floor((N - ha_extra) x s / (1 + h)), since
  ceil(c x (1 + h) / s) + ha_extra <= N  <=>  c x (1 + h) <= (N - ha_extra) x s   (s = sessions_per_node).
Pure functions.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

from ..catalog import Catalog
from ..pipeline import Sizing, size
from ..scenario import FitQuestion
from ..stages.capacity import HA_EXTRA_NODES
from ..units import ceil_div, exact, largest_holding


@dataclass(frozen=True)
class Fit:
    question: FitQuestion
    answer: Optional[int]  # tokens or sessions; None when nothing fits
    sizing: Optional[Sizing]  # the sizing at the answer
    reason: str

    @property
    def nodes(self) -> int:
        return self.question.nodes

    @property
    def unknown(self) -> str:
        return self.question.unknown


def _fits(scenario, catalog, nodes: int) -> bool:
    final = size(scenario, catalog).results.nodes_final
    return final is not None and final <= nodes


def fit_concurrency(question: FitQuestion, catalog: Catalog) -> Fit:
    scenario, nodes = question.scenario, question.nodes
    usable = nodes - HA_EXTRA_NODES[scenario.ha]
    if usable <= 0:
        return Fit(question, None, None, "--ha n+1 keeps the only node as a spare")
    probe = size(dataclasses.replace(scenario, concurrency=1), catalog)
    per_node = probe.memory.most_sessions_per_node  # over every layout auto compares
    if per_node == 0 or probe.results.nodes_final is None:
        return Fit(question, None, None, "one node holds no session of this context"
                   if per_node == 0 else "even one session cannot be served (see the findings)")
    high = min(question.bound, usable * per_node)  # memory alone, without headroom, bounds it
    low = largest_holding(1, high, lambda c: _fits(dataclasses.replace(scenario, concurrency=c), catalog, nodes))
    if low is None:
        return Fit(question, None, None, f"even one session needs more than {nodes} node(s)")
    answer = size(dataclasses.replace(scenario, concurrency=low), catalog)
    return Fit(question, low, answer,
               f"most sessions with nodes_final <= {nodes} (memory gives at most {per_node:,} per node, "
               f"headroom {scenario.peak_headroom_ratio:g}, ha {scenario.ha})")


def fit_context(question: FitQuestion, catalog: Catalog) -> Fit:
    scenario, nodes = question.scenario, question.nodes
    usable = nodes - HA_EXTRA_NODES[scenario.ha]
    if usable <= 0:
        return Fit(question, None, None, "--ha n+1 keeps the only node as a spare")
    needed = ceil_div(scenario.concurrency * (1 + exact(scenario.peak_headroom_ratio)), usable)
    limit = catalog.model(scenario.model).max_position_embeddings
    shortest = scenario.service.workload_tokens or 1
    high = min(question.bound, limit)
    if shortest > high:
        return Fit(question, None, None, f"the workload's {shortest:,} tokens exceed the longest context "
                                         f"considered ({high:,})")
    low = largest_holding(shortest, high, lambda context: _fits(
        dataclasses.replace(scenario, effective_context=context), catalog, nodes))
    if low is None:
        return Fit(question, None, None,
                   f"even a {shortest:,}-token context fits fewer than the {needed} sessions per node needed")
    answer = size(dataclasses.replace(scenario, effective_context=low), catalog)
    limit_note = " (the model's max_position_embeddings)" if low == limit else ""
    return Fit(question, low, answer, f"{needed} sessions per node needed; largest context{limit_note}")


SOLVERS = {"context": fit_context, "concurrency": fit_concurrency}


def fit(question: FitQuestion, catalog: Catalog) -> Fit:
    return SOLVERS[question.unknown](question, catalog)
