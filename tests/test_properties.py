"""Invariants over many random scenarios (hypothesis)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from llm_sizing import Scenario, load_catalog, size

CATALOG = load_catalog()

scenarios = st.fixed_dictionaries({
    "model": st.sampled_from(["opt-oss-120b", "opt-oss-20b"]),
    "server": st.sampled_from(["dgx300", "dgx200"]),
    "storage": st.sampled_from(["profile_default", "profile_network_ssd", "profile_cloud_premium"]),
    "concurrency": st.integers(1, 200_000),
    "effective_context": st.integers(1, 200_000),
    "kv_budget_ratio": st.floats(0.05, 1.0),
    "runtime_overhead_gib": st.floats(0, 400),
    "peak_headroom_ratio": st.floats(0, 2),
    "ha": st.sampled_from(["none", "n+1"]),
})


def run(**kwargs):
    return size(Scenario(**kwargs), CATALOG).results


@settings(max_examples=50, deadline=None)
@given(scenarios, st.integers(1, 100_000))
def test_more_concurrency_never_fewer_nodes(base, extra):
    fewer, more = run(**base), run(**{**base, "concurrency": base["concurrency"] + extra})
    if fewer.nodes_final is not None:
        assert more.nodes_final >= fewer.nodes_final
        assert more.nodes_minimum >= fewer.nodes_minimum


@settings(max_examples=50, deadline=None)
@given(scenarios)
def test_fp16_never_fewer_nodes_than_fp8(base):
    fp8, fp16 = run(**base, kv_precision="fp8"), run(**base, kv_precision="fp16")
    assert fp16.kv_per_session_bytes == 2 * fp8.kv_per_session_bytes
    assert fp16.sessions_per_node <= fp8.sessions_per_node
    if fp16.nodes_final is not None:
        assert fp16.nodes_final >= fp8.nodes_final


@settings(max_examples=50, deadline=None)
@given(scenarios)
def test_n_plus_1_adds_exactly_one_node(base):
    none, ha = run(**{**base, "ha": "none"}), run(**{**base, "ha": "n+1"})
    if none.nodes_final is None:
        assert ha.nodes_final is None
    else:
        assert ha.nodes_final == none.nodes_final + 1
        assert ha.nodes_with_headroom == none.nodes_with_headroom


@settings(max_examples=50, deadline=None)
@given(scenarios, st.integers(0, 200_000))
def test_longer_context_never_more_sessions_per_node(base, extra):
    short = run(**base)
    long = run(**{**base, "effective_context": base["effective_context"] + extra})
    assert long.sessions_per_node <= short.sessions_per_node
    assert long.kv_per_session_bytes >= short.kv_per_session_bytes


@settings(max_examples=50, deadline=None)
@given(scenarios)
def test_headroom_and_minimum_order(base):
    r = run(**base)
    if r.nodes_final is not None:
        assert r.nodes_minimum <= r.nodes_with_headroom <= r.nodes_final
        # the nodes hold the demand: nodes_minimum x sessions_per_node >= concurrency
        assert r.nodes_minimum * r.sessions_per_node >= base["concurrency"]
        assert (r.nodes_minimum - 1) * r.sessions_per_node < base["concurrency"]
