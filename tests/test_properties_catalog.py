"""Invariants over the whole built-in catalog, in every memory model and layout mode (hypothesis):
node counts never fall as sessions or context grow, fp16 KV never needs fewer nodes than fp8,
`--ha n+1` adds exactly one node, and `--tensor-parallel auto` is never worse than a fixed layout
it considers (the layout rules: stages/memory/physical.py; the search: pipeline.py).

A scenario the tool refuses (a SizingError: a model whose weights need --weights-gib under the
physical model, a layout the model cannot split into) is a refusal on both sides of a comparison
or on neither, never a traceback."""

from __future__ import annotations

import dataclasses
import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from llm_sizing import PhysicalOptions, Scenario, ServiceOptions, SizingError, load_catalog, size
from llm_sizing.stages.memory.physical import candidate_layouts

CATALOG = load_catalog()
MODELS = sorted(m.name for m in CATALOG.models)
SERVERS = sorted(s.name for s in CATALOG.servers)
#: examples per property: 40 in the suite (about 10 s); LLM_SIZING_PROPERTY_EXAMPLES=N for a longer run
SETTINGS = settings(max_examples=int(os.environ.get("LLM_SIZING_PROPERTY_EXAMPLES", "40")), deadline=None,
                    suppress_health_check=list(HealthCheck))

layouts = st.sampled_from(["auto", 1, 2, 4, 8])
services = st.one_of(
    st.just(ServiceOptions()),
    st.builds(lambda i, o, tpot, ttft: ServiceOptions(input_tokens=i, output_tokens=o, target_tpot_ms=tpot,
                                                      target_ttft_ms=ttft),
              st.integers(1, 8192), st.integers(1, 2048), st.sampled_from([None, 20.0, 50.0, 200.0]),
              st.sampled_from([None, 1000.0, 10_000.0])))


@st.composite
def scenarios(draw):
    memory = draw(st.sampled_from(["seed", "physical"]))
    physical = None
    if memory == "physical":
        physical = PhysicalOptions(tensor_parallel=draw(layouts),
                                   gpu_memory_utilization=draw(st.sampled_from([0.75, 0.9, 0.95])))
    service = draw(services)
    workload = (service.input_tokens or 0) + (service.output_tokens or 0)
    return Scenario(
        model=draw(st.sampled_from(MODELS)), server=draw(st.sampled_from(SERVERS)), storage="profile_default",
        concurrency=draw(st.integers(1, 100_000)), effective_context=draw(st.integers(max(workload, 1), 300_000)),
        kv_precision=draw(st.sampled_from(["fp8", "bf16"])), kv_accounting=draw(st.sampled_from(["ideal", "paged"])),
        peak_headroom_ratio=draw(st.sampled_from([0.0, 0.2, 1.0])), ha=draw(st.sampled_from(["none", "n+1"])),
        memory_model=memory, physical=physical, service=service)


def nodes(scenario: Scenario):
    """nodes_final (None: nothing fits), or "refused" for a SizingError."""
    try:
        return size(scenario, CATALOG).results.nodes_final
    except SizingError:
        return "refused"


def at_least(more, fewer) -> bool:
    """`more` needs at least as many nodes as `fewer`: None (no fit) is more than any count."""
    if fewer is None:
        return more is None
    return more is None or more >= fewer


@SETTINGS
@given(scenarios(), st.integers(1, 100_000))
def test_more_sessions_never_fewer_nodes(scenario, extra):
    fewer = nodes(scenario)
    more = nodes(dataclasses.replace(scenario, concurrency=scenario.concurrency + extra))
    assert (fewer == "refused") == (more == "refused")
    if fewer != "refused":
        assert at_least(more, fewer), (fewer, more)


@SETTINGS
@given(scenarios(), st.integers(1, 300_000))
def test_longer_context_never_fewer_nodes(scenario, extra):
    short = nodes(scenario)
    long = nodes(dataclasses.replace(scenario, effective_context=scenario.effective_context + extra))
    assume("refused" not in (short, long))  # a workload longer than the context is refused by design
    assert at_least(long, short), (short, long)


@SETTINGS
@given(scenarios())
def test_fp16_never_fewer_nodes_than_fp8(scenario):
    fp8 = nodes(dataclasses.replace(scenario, kv_precision="fp8"))
    fp16 = nodes(dataclasses.replace(scenario, kv_precision="fp16"))
    assert (fp8 == "refused") == (fp16 == "refused")
    if fp8 != "refused":
        assert at_least(fp16, fp8), (fp8, fp16)


@SETTINGS
@given(scenarios())
def test_n_plus_1_adds_exactly_one_node(scenario):
    none = nodes(dataclasses.replace(scenario, ha="none"))
    ha = nodes(dataclasses.replace(scenario, ha="n+1"))
    assert (none == "refused") == (ha == "refused")
    if none not in ("refused", None):
        assert ha == none + 1
    elif none is None:
        assert ha is None


@SETTINGS
@given(scenarios())
def test_auto_is_never_worse_than_a_fixed_layout_it_considers(scenario):
    assume(scenario.memory_model == "physical")
    auto_scenario = dataclasses.replace(
        scenario, physical=dataclasses.replace(scenario.physical, tensor_parallel="auto"))
    auto = nodes(auto_scenario)
    model, server = CATALOG.model(scenario.model), CATALOG.server(scenario.server)
    for layout in candidate_layouts(model.architecture, server):
        fixed = nodes(dataclasses.replace(
            scenario, physical=dataclasses.replace(scenario.physical, tensor_parallel=layout.tensor_parallel)))
        if isinstance(fixed, int):
            assert isinstance(auto, int) and auto <= fixed, (layout, fixed, auto)


#: the two scenarios of issue 11 where `auto` did worse than a fixed layout; the answers the tool
#: gives for each fixed layout are computed here, not written down
REPRODUCERS = [
    Scenario(model="mistral-small-3.2-24b", server="hgx-h100", storage="profile_network_ssd", concurrency=188_641,
             effective_context=605, kv_precision="bf16", memory_model="physical", peak_headroom_ratio=0,
             physical=PhysicalOptions(tensor_parallel="auto", gpu_memory_utilization=0.75),
             service=ServiceOptions(input_tokens=128, output_tokens=128, target_tpot_ms=20)),
    Scenario(model="deepseek-r1-distill-llama-70b", server="dgx200", storage="profile_network_ssd", concurrency=15,
             effective_context=248_499, kv_precision="bf16", kv_accounting="paged", memory_model="physical",
             peak_headroom_ratio=1.0, physical=PhysicalOptions(tensor_parallel="auto"),
             service=ServiceOptions(input_tokens=128, output_tokens=128, target_tpot_ms=12, target_ttft_ms=1000)),
]


@pytest.mark.parametrize("scenario", REPRODUCERS, ids=["mistral-tpot", "r1-distill-tpot-ttft"])
def test_auto_needs_no_more_nodes_than_the_best_fixed_layout(scenario):
    # (the second reproducer asked for 10 ms; under the latency model of issue 9 no layout of dgx200
    # decodes a 70B model that fast, TP8 at batch 1 taking about 10.2 ms: 12 ms keeps it answerable)
    auto = size(scenario, CATALOG)
    fixed = {}
    for tp in (1, 2, 4, 8):
        answer = nodes(dataclasses.replace(scenario, physical=dataclasses.replace(scenario.physical,
                                                                                   tensor_parallel=tp)))
        if isinstance(answer, int):
            fixed[tp] = answer
    assert fixed, "some fixed layout answers"
    assert auto.results.nodes_final == min(fixed.values())


def test_json_lists_the_layouts_compared_and_the_one_chosen():
    from llm_sizing.render.json import sizing_dict

    document = sizing_dict(size(REPRODUCERS[0], CATALOG))
    compared = document["physical"]["alternatives"]
    assert [option["layout"] for option in compared] == ["TP1", "TP2", "TP4", "TP8"]
    chosen = [option for option in compared if option["chosen"]]
    assert len(chosen) == 1 and chosen[0]["nodes_final"] == min(o["nodes_final"] for o in compared
                                                                 if o["nodes_final"] is not None)


@pytest.mark.parametrize("model", MODELS)
def test_auto_breaks_ties_by_sessions_per_node_then_gpus(model):
    # one session of 8,192 tokens: every layout that fits needs one node, so the tie-breaks decide;
    # the chosen layout holds the most sessions per node (not the smallest replica with a sliver of
    # KV pool, whose sessions per node would jump as the context grows), then the fewest GPUs
    from llm_sizing.render.json import sizing_dict

    scenario = Scenario(model=model, server="dgx300", storage="profile_default", concurrency=1,
                        effective_context=8192, memory_model="physical",
                        physical=PhysicalOptions(tensor_parallel="auto"))
    try:
        document = sizing_dict(size(scenario, CATALOG))
    except SizingError:
        return  # a model whose weights need --weights-gib
    compared = document["physical"]["alternatives"] or []
    answered = [o for o in compared if o["nodes_final"] is not None]
    if not answered:
        return
    fewest = min(o["nodes_final"] for o in answered)
    tied = [o for o in answered if o["nodes_final"] == fewest]
    most = max(o["sessions_per_node"] for o in tied)
    expected = min((o for o in tied if o["sessions_per_node"] == most), key=lambda o: o["gpus_per_replica"])
    chosen = [o for o in compared if o["chosen"]]
    assert chosen == [expected]
