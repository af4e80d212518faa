"""The seed card's memory rule (docs/formulas.md):

    budget_bytes      = hbm_total_bytes x kv_budget_ratio - runtime_overhead_gib x 2^30
    sessions_per_node = floor(budget_bytes / kv_per_session_bytes)      (0 when budget <= 0)

HBM is in the vendor's decimal GB; the overhead in binary GiB, subtracted after the ratio.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

from ... import findings as f
from ...errors import ArchitectureError
from ...units import bytes_to_gib, exact, floor_div, gb_to_bytes, gib_to_bytes
from .serving import Serving


def node_hbm_bytes(server) -> Fraction:
    """The node's HBM as the vendor states it: GPUs x decimal GB per GPU."""
    return server.gpus_per_node * gb_to_bytes(server.hbm_per_gpu_gb)


def sessions_per_node(kv_budget_bytes: Fraction, kv_per_session_bytes: int) -> int:
    if kv_budget_bytes <= 0:
        return 0
    return floor_div(kv_budget_bytes, kv_per_session_bytes)


@dataclass(frozen=True)
class SeedMemory:
    """The node's KV budget by the seed's rule, and the sessions it holds."""

    hbm_total_bytes: Fraction
    kv_budget_ratio: Fraction
    runtime_overhead_bytes: Fraction
    kv_pool_bytes_per_node: Fraction  # the KV budget; may be <= 0: then no session fits
    kv_per_session_bytes: int
    sessions_per_node: int
    weights_gib: Optional[float]  # the checkpoint's weights, when they can be counted (the overhead check)
    findings: tuple

    name = "seed"
    layout = None  # the seed's rule knows no parallel layout

    @property
    def most_sessions_per_node(self) -> int:
        """The most sessions one node holds under this model (the seed's rule has one answer)."""
        return self.sessions_per_node

    @property
    def hbm_share_bytes(self) -> Fraction:
        return self.hbm_total_bytes * self.kv_budget_ratio

    @classmethod
    def choices(cls, resolved, kv) -> tuple["SeedMemory", ...]:
        """The seed's rule has one answer."""
        return (cls.build(resolved, kv),)

    def compared(self, options) -> "SeedMemory":
        return self

    @classmethod
    def build(cls, resolved, kv) -> "SeedMemory":
        scenario, model = resolved.scenario, resolved.model
        hbm = node_hbm_bytes(resolved.server)
        ratio = exact(scenario.kv_budget_ratio)
        overhead = gib_to_bytes(scenario.runtime_overhead_gib)
        budget = hbm * ratio - overhead
        per_session = kv.bytes_per_session
        sessions = sessions_per_node(budget, per_session)
        weights, problem = _weights_gib(model)
        found = (f.hbm_budget_insufficient(bytes_to_gib(budget), bytes_to_gib(per_session), sessions)
                 + f.seed_overhead_below_weights(weights, scenario.runtime_overhead_gib, model.name)
                 + f.weights_not_counted(problem, model.name))
        return cls(hbm, ratio, overhead, budget, per_session, sessions, weights, tuple(found))

    def result_fields(self) -> dict:
        """What this model adds to the card's `results` block: nothing beyond the card's fields."""
        return {}

    def serving(self, resolved) -> Optional[Serving]:
        """For the performance model: one replica per node on the widest tensor-parallel layout the
        model allows, with the checkpoint's weights (the seed's rule names no layout)."""
        from .physical import candidate_layouts, model_weights

        layouts = candidate_layouts(resolved.model.architecture, resolved.server)
        if not layouts:
            return None
        layout = layouts[-1]
        weights = model_weights(resolved.model)
        replicas = resolved.server.gpus_per_node // layout.gpus_per_replica
        return Serving(layout, weights.components, replicas, self.sessions_per_node // max(replicas, 1))


def _weights_gib(model) -> tuple[Optional[float], Optional[str]]:
    """The checkpoint's weights in GiB (for the seed rule's sanity check), or None and why they
    cannot be counted."""
    from ...model.parameters import count_parameters
    from ...model.weights import weight_bytes

    if model.checkpoint_total_bytes:
        return bytes_to_gib(model.checkpoint_total_bytes), None
    try:
        counts = count_parameters(model.architecture)
        checkpoint = model.architecture.checkpoint_format()
    except ArchitectureError as error:
        return None, str(error).split(": ", 1)[-1]
    return bytes_to_gib(sum(item.bytes for item in weight_bytes(counts.components, checkpoint))), None
