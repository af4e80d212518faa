"""The card's numbers (seed quick-reference, docs/seed/spec.md "The numbers, derived"), end to end through
the Python API. Every expected value below is the card's or docs/seed/spec.md's, derived by hand there."""

import pytest

from llm_sizing import Scenario, size

GIB = 2**30

# (model, server, concurrency, context, precision, ha) -> card's results
CARD_SCENARIOS = [
    # quick start (no --ha: default none): docs/seed/spec.md gives 2.25 / 2.2 / 613 / 2 / 2 / 2
    (("opt-oss-120b", "dgx300", 1000, 131072, "fp8", "none"),
     {"kv_per_session_gib": 2.25, "kv_total_tib": 2.2, "sessions_per_node": 613,
      "nodes_minimum": 2, "nodes_with_headroom": 2, "nodes_final": 2}),
    # production with HA: the card's JSON example, "3 nós (2 + N+1)"
    (("opt-oss-120b", "dgx300", 1000, 131072, "fp8", "n+1"),
     {"kv_per_session_gib": 2.25, "kv_total_tib": 2.2, "sessions_per_node": 613,
      "nodes_minimum": 2, "nodes_with_headroom": 2, "nodes_final": 3}),
    # development / tests: "1 nó"; spec: 0.37646 GiB, 1634 sessions, 1 / 1 / 1
    (("opt-oss-20b", "dgx200", 100, 32768, "fp8", "none"),
     {"sessions_per_node": 1634, "nodes_minimum": 1, "nodes_with_headroom": 1, "nodes_final": 1}),
    # high precision: "2 nós"; spec: 1.50293 GiB, 409 sessions, 2 / 2 / 2
    (("opt-oss-20b", "dgx200", 500, 65536, "fp16", "none"),
     {"sessions_per_node": 409, "nodes_minimum": 2, "nodes_with_headroom": 2, "nodes_final": 2}),
]


@pytest.mark.parametrize("args,expected", CARD_SCENARIOS)
def test_card_scenarios(args, expected):
    model, server, concurrency, context, precision, ha = args
    sizing = size(Scenario(model=model, server=server, storage="profile_default", concurrency=concurrency,
                           effective_context=context, kv_precision=precision, ha=ha))
    got = {key: getattr(sizing.results, key) for key in expected}
    assert got == expected


def test_quick_start_exact_values():
    sizing = size(Scenario(model="opt-oss-120b", server="dgx300", storage="profile_default",
                           concurrency=1000, effective_context=131072))
    r = sizing.results
    # full: 18 x 2 x 131072 x 8 x 64 x 1 B = 2,415,919,104 B; sliding: 18 x 2 x 128 x 8 x 64 = 2,359,296 B
    assert r.kv_per_session_bytes == 2_415_919_104 + 2_359_296 == 2_418_278_400
    assert r.kv_per_session_gib_exact == pytest.approx(2_418_278_400 / GIB, rel=1e-15)  # 2.252197265625
    # 1000 sessions: 2,252.197 GiB = 2.1994 TiB
    assert r.kv_total_bytes == 2_418_278_400_000
    assert r.kv_total_tib_exact == pytest.approx(2.1994113922, rel=1e-9)
    # 8 x 288e9 B = 2145.767 GiB; x 0.7 - 120 = 1382.037 GiB
    assert r.hbm_total_gib == pytest.approx(2304e9 / GIB, rel=1e-12)
    assert r.kv_budget_gib == pytest.approx(2304e9 * 0.7 / GIB - 120, rel=1e-12)
    assert r.kv_budget_gib == pytest.approx(1382.037, abs=5e-4)


def test_other_scenarios_exact_kv_per_session():
    # opt-oss-20b fp8 at 32768: 12 x 2 x 32768 x 512 B + 12 x 2 x 128 x 512 B = 404,226,048 B = 0.37646 GiB
    dev = size(Scenario(model="opt-oss-20b", server="dgx200", storage="profile_default",
                        concurrency=100, effective_context=32768))
    assert dev.results.kv_per_session_bytes == 12 * 2 * 32768 * 512 + 12 * 2 * 128 * 512 == 404_226_048
    # dgx200: 8 x 141e9 B = 1050.53 GiB; x 0.7 - 120 = 615.37 GiB
    assert dev.results.kv_budget_gib == pytest.approx(615.372, abs=5e-4)
    # fp16 at 65536: 12 x 2 x (65536 + 128) x 8 x 64 x 2 B = 1,613,758,464 B = 1.50293 GiB
    research = size(Scenario(model="opt-oss-20b", server="dgx200", storage="profile_default",
                             concurrency=500, effective_context=65536, kv_precision="fp16"))
    assert research.results.kv_per_session_bytes == 12 * 2 * (65536 + 128) * 8 * 64 * 2 == 1_613_758_464
    assert research.results.kv_per_session_gib_exact == pytest.approx(1.50293, abs=5e-6)


def test_public_names_select_the_same_models():
    base = dict(server="dgx300", storage="profile_default", concurrency=1000, effective_context=131072)
    card = size(Scenario(model="opt-oss-120b", **base))
    public = size(Scenario(model="gpt-oss-120b", **base))
    assert public.model.name == card.model.name == "opt-oss-120b"
    assert public.results == card.results
    assert size(Scenario(model="gpt-oss-20b", **base)).model.name == "opt-oss-20b"
