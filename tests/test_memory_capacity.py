"""The node budget and the node counts, against hand-derived values."""

from fractions import Fraction

import pytest

from llm_sizing import load_catalog
from llm_sizing.capacity import plan_capacity, sessions_per_node
from llm_sizing.memory import seed_node_budget

GIB = 2**30


def test_seed_budget_dgx300():
    budget = seed_node_budget(load_catalog().server("dgx300"), 0.70, 120)
    # 8 x 288 GB = 2,304,000,000,000 B; x 0.7 = 1,612,800,000,000 B; - 120 x 2^30 = 128,849,018,880 B
    assert budget.hbm_total_bytes == 2_304_000_000_000
    assert budget.kv_budget_bytes == 1_612_800_000_000 - 128_849_018_880 == 1_483_950_981_120
    # = 1382.037 GiB (SPEC.md)
    assert float(budget.kv_budget_bytes) / GIB == pytest.approx(1382.037, abs=5e-4)


def test_seed_budget_dgx200_and_overhead_after_the_ratio():
    budget = seed_node_budget(load_catalog().server("dgx200"), 0.5, 0)
    # 8 x 141 GB = 1,128,000,000,000 B; x 0.5 = 564,000,000,000 B; nothing subtracted
    assert budget.kv_budget_bytes == 564_000_000_000


def test_sessions_per_node_floors():
    # 1,483,950,981,120 / 2,418,278,400 = 613.64 -> 613
    assert sessions_per_node(Fraction(1_483_950_981_120), 2_418_278_400) == 613
    assert sessions_per_node(Fraction(10), 10) == 1
    assert sessions_per_node(Fraction(9), 10) == 0
    assert sessions_per_node(Fraction(-5), 10) == 0


def test_node_counts():
    # 613 per node; 1000 sessions: ceil(1000/613) = 2; ceil(1200/613) = 2; n+1 -> 3
    cap = plan_capacity(1000, 2_418_278_400, Fraction(1_483_950_981_120), 0.20, "n+1")
    assert (cap.sessions_per_node, cap.nodes_minimum, cap.nodes_with_headroom, cap.nodes_final) == (613, 2, 2, 3)
    assert cap.demand_with_headroom_sessions == 1200


def test_headroom_can_add_a_node():
    # 10 per node, 100 sessions: ceil(100/10) = 10; with 5%: ceil(105/10) = 11
    cap = plan_capacity(100, 1, Fraction(10), 0.05, "none")
    assert (cap.nodes_minimum, cap.nodes_with_headroom, cap.nodes_final) == (10, 11, 11)


def test_headroom_exact_boundary_does_not_round_up():
    # 110 per node, 100 sessions x 1.1 = 110 exactly -> 1 node (floats would give 110.00000000000001 -> 2)
    cap = plan_capacity(100, 1, Fraction(110), 0.1, "none")
    assert cap.nodes_with_headroom == 1


def test_no_session_fits_gives_no_node_count():
    cap = plan_capacity(1000, 100, Fraction(99), 0.2, "n+1")
    assert cap.sessions_per_node == 0
    assert (cap.nodes_minimum, cap.nodes_with_headroom, cap.nodes_final) == (None, None, None)
