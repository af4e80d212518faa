"""The node's KV budget. The seed's rule (docs/formulas.md):

    budget_bytes = hbm_total_bytes x kv_budget_ratio - runtime_overhead_gib x 2^30

HBM is in the vendor's decimal GB; the overhead in binary GiB, subtracted after the ratio.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .catalog import ServerEntry
from .units import gb_to_bytes, gib_to_bytes, exact


@dataclass(frozen=True)
class NodeBudget:
    hbm_total_bytes: Fraction
    kv_budget_ratio: Fraction
    runtime_overhead_bytes: Fraction
    kv_budget_bytes: Fraction  # may be <= 0: then no session fits

    @property
    def hbm_share_bytes(self) -> Fraction:
        return self.hbm_total_bytes * self.kv_budget_ratio


def seed_node_budget(server: ServerEntry, kv_budget_ratio: float, runtime_overhead_gib: float) -> NodeBudget:
    hbm_total_bytes = server.gpus_per_node * gb_to_bytes(server.hbm_per_gpu_gb)
    ratio = exact(kv_budget_ratio)
    overhead = gib_to_bytes(runtime_overhead_gib)
    return NodeBudget(hbm_total_bytes, ratio, overhead, hbm_total_bytes * ratio - overhead)
