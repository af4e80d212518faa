"""The seed card's memory rule (stages/memory/seed.py) and the node counts (stages/capacity.py),
against hand-derived values."""

from fractions import Fraction

import pytest

from llm_sizing import Scenario, load_catalog, size
from llm_sizing.stages.capacity import nodes_for
from llm_sizing.stages.memory.seed import sessions_per_node

GIB = 2**30
CATALOG = load_catalog()


def memory(server="dgx300", ratio=0.70, overhead=120.0, context=131072):
    scenario = Scenario(model="opt-oss-120b", server=server, storage="profile_default", concurrency=1000,
                        effective_context=context, kv_budget_ratio=ratio, runtime_overhead_gib=overhead)
    return size(scenario, CATALOG).memory


def test_seed_budget_dgx300():
    budget = memory()
    # 8 x 288 GB = 2,304,000,000,000 B; x 0.7 = 1,612,800,000,000 B; - 120 x 2^30 = 128,849,018,880 B
    assert budget.hbm_total_bytes == 2_304_000_000_000
    assert budget.kv_pool_bytes_per_node == 1_612_800_000_000 - 128_849_018_880 == 1_483_950_981_120
    # = 1382.037 GiB (docs/seed/spec.md)
    assert float(budget.kv_pool_bytes_per_node) / GIB == pytest.approx(1382.037, abs=5e-4)
    # 1,483,950,981,120 / 2,418,278,400 = 613.64 -> 613
    assert (budget.name, budget.layout, budget.sessions_per_node) == ("seed", None, 613)


def test_seed_budget_dgx200_and_overhead_after_the_ratio():
    # 8 x 141 GB = 1,128,000,000,000 B; x 0.5 = 564,000,000,000 B; nothing subtracted
    assert memory("dgx200", 0.5, 0).kv_pool_bytes_per_node == 564_000_000_000


def test_sessions_per_node_floors():
    assert sessions_per_node(Fraction(1_483_950_981_120), 2_418_278_400) == 613
    assert sessions_per_node(Fraction(10), 10) == 1
    assert sessions_per_node(Fraction(9), 10) == 0
    assert sessions_per_node(Fraction(-5), 10) == 0


def test_node_counts():
    # 613 per node; 1000 sessions: ceil(1000/613) = 2; ceil(1200/613) = 2; n+1 -> 3
    cap = nodes_for(1000, 613, 0.20, "n+1")
    assert (cap.sessions_per_node, cap.nodes_minimum, cap.nodes_with_headroom, cap.nodes_final) == (613, 2, 2, 3)
    assert cap.demand_with_headroom_sessions == 1200


def test_headroom_can_add_a_node():
    # 10 per node, 100 sessions: ceil(100/10) = 10; with 5%: ceil(105/10) = 11
    cap = nodes_for(100, 10, 0.05, "none")
    assert (cap.nodes_minimum, cap.nodes_with_headroom, cap.nodes_final) == (10, 11, 11)


def test_headroom_exact_boundary_does_not_round_up():
    # 110 per node, 100 sessions x 1.1 = 110 exactly -> 1 node (floats would give 110.00000000000001 -> 2)
    assert nodes_for(100, 110, 0.1, "none").nodes_with_headroom == 1


def test_no_session_fits_gives_no_node_count():
    cap = nodes_for(1000, 0, 0.2, "n+1")
    assert cap.sessions_per_node == 0
    assert (cap.nodes_minimum, cap.nodes_with_headroom, cap.nodes_final) == (None, None, None)


def test_seed_rule_warns_when_weights_exceed_the_overhead():
    # Llama 3.1 405B in bf16: 811,706,777,600 B = 756 GiB of weights > the 120 GiB overhead
    sizing = size(Scenario(model="llama-3.1-405b", server="hgx-h100", storage="profile_default", concurrency=10,
                           effective_context=8192), CATALOG)
    finding = {f.code: f for f in sizing.findings}["SEED_OVERHEAD_BELOW_WEIGHTS"]
    assert finding.data["weights_gib"] == pytest.approx(811_706_777_600 / 2**30, rel=1e-6)
    quick = size(Scenario(model="opt-oss-120b", server="dgx300", storage="profile_default", concurrency=1000,
                          effective_context=131072), CATALOG)
    assert "SEED_OVERHEAD_BELOW_WEIGHTS" not in {f.code for f in quick.findings}  # 60.8 GiB < 120
