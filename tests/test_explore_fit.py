"""--fit-context and --fit-concurrency (explore/fit.py): the inverse questions, checked by hand and
by re-sizing."""

import dataclasses
import json

from conftest import cli, one_line_error
from llm_sizing import FitQuestion, PhysicalOptions, Scenario, ServiceOptions, load_catalog, size
from llm_sizing.explore.fit import fit
from llm_sizing.scenario import MAX_CONCURRENCY, MAX_CONTEXT_TOKENS

CATALOG = load_catalog()
QUICK = dict(model="opt-oss-120b", server="dgx300", storage="profile_default", concurrency=1000,
             effective_context=131072)


def concurrency_fit(nodes, **scenario):
    base = {**QUICK, "concurrency": MAX_CONCURRENCY, **scenario}
    return fit(FitQuestion(Scenario(**base), "concurrency", nodes), CATALOG)


def context_fit(nodes, **scenario):
    base = {**QUICK, "effective_context": MAX_CONTEXT_TOKENS, **scenario}
    return fit(FitQuestion(Scenario(**base), "context", nodes), CATALOG)


def test_fit_concurrency_by_hand():
    # 613 sessions per node; 2 nodes, headroom 0.2: floor(2 x 613 / 1.2) = floor(1021.67) = 1021
    answer = concurrency_fit(2)
    assert answer.answer == 1021
    assert answer.sizing.results.nodes_final == 2
    # one more session needs a third node: ceil(1022 x 1.2 / 613) = ceil(2.0007) = 3
    assert size(Scenario(**{**QUICK, "concurrency": 1022}), CATALOG).results.nodes_final == 3


def test_fit_concurrency_with_ha_keeps_a_spare():
    # n+1 on 2 nodes leaves 1 for sessions: floor(613 / 1.2) = 510
    assert concurrency_fit(2, ha="n+1").answer == 510
    assert concurrency_fit(1, ha="n+1").answer is None


def test_the_given_value_bounds_the_search():
    assert concurrency_fit(2, concurrency=900).answer == 900
    assert context_fit(2, effective_context=50_000).answer == 50_000


def test_fit_context_by_hand():
    # 1000 sessions on 1 node need floor(budget / kv) >= 1200: budget 1,483,950,981,120 B
    # kv(L) = 18 x L x 1,024 + 18 x 128 x 1,024 = 18,432 L + 2,359,296 (L >= 128)
    # 1,483,950,981,120 / 1200 = 1,236,625,817.6 -> L <= (1,236,625,817.6 - 2,359,296) / 18,432 = 66,963.2
    answer = context_fit(1)
    assert answer.answer == 66_963
    assert answer.sizing.results.sessions_per_node == 1200
    assert size(Scenario(**{**QUICK, "effective_context": 66_964}), CATALOG).results.sessions_per_node == 1199


def test_fit_context_caps_at_the_models_limit():
    assert context_fit(2).answer == 131072


def test_fit_context_none_when_nothing_fits():
    answer = context_fit(1, concurrency=10**9)
    assert answer.answer is None and answer.sizing is None


def test_fit_context_with_a_workload_starts_at_the_workload():
    # a workload of 8,000 + 1,000 tokens needs at least 9,000 tokens of context; targets included
    service = ServiceOptions(input_tokens=8000, output_tokens=1000, target_tpot_ms=200)
    answer = context_fit(1, service=service)
    assert answer.answer >= 9000 and answer.sizing.results.nodes_final <= 1
    longer = size(dataclasses.replace(answer.sizing.scenario, effective_context=answer.answer + 1), CATALOG)
    assert longer.results.nodes_final is None or longer.results.nodes_final > 1
    too_long = context_fit(1, service=ServiceOptions(input_tokens=200_000, output_tokens=1))
    assert too_long.answer is None and "exceed the longest context" in too_long.reason


def test_fit_concurrency_with_targets_really_fits():
    scenario = dict(model="llama-3.1-8b", server="hgx-h100", effective_context=8192,
                    service=ServiceOptions(input_tokens=4096, output_tokens=1024, target_tpot_ms=20))
    answer = concurrency_fit(2, **scenario)
    assert answer.sizing.results.nodes_final <= 2
    more = Scenario(**{**QUICK, **scenario, "concurrency": answer.answer + 1})
    assert size(more, CATALOG).results.nodes_final > 2


def test_fit_concurrency_with_auto_uses_the_best_layout():
    answer = concurrency_fit(4, model="llama-3.3-70b-instruct", server="hgx-h100", effective_context=8192,
                             memory_model="physical", physical=PhysicalOptions(tensor_parallel="auto"))
    best = max(o.plan.sessions_per_node for o in answer.sizing.memory.alternatives)
    assert answer.answer == int(4 * best / 1.2)


def test_fit_context_uses_the_physical_model_when_asked():
    answer = context_fit(1, memory_model="physical", physical=PhysicalOptions(tensor_parallel=2))
    # 1000 x 1.2 = 1200 sessions on one node: the answer holds them, one more token does not
    assert answer.sizing.results.sessions_per_node >= 1200
    longer = size(dataclasses.replace(answer.sizing.scenario, effective_context=answer.answer + 1), CATALOG)
    assert longer.results.sessions_per_node < 1200
    assert answer.answer != context_fit(1).answer  # not the seed's rule


def test_fit_from_the_cli_in_json():
    argv = ["--model", "gpt-oss-120b", "--server", "dgx300", "--storage", "profile_default",
            "--concurrency", "1000", "--fit-context", "--nodes", "1", "--json-only"]
    document = json.loads(cli(argv).stdout)
    assert document["fit"]["max_effective_context"] == 66_963
    assert document["results"]["sessions_per_node"] == 1200
    argv = ["--model", "gpt-oss-120b", "--server", "dgx300", "--storage", "profile_default",
            "--effective-context", "131072", "--fit-concurrency", "--nodes", "2", "--json-only"]
    assert json.loads(cli(argv).stdout)["fit"]["max_concurrency"] == 1021


def test_fit_needs_nodes():
    base = ["--model", "gpt-oss-120b", "--server", "dgx300", "--storage", "profile_default", "--concurrency", "1000"]
    one_line_error(base + ["--fit-context"], "--nodes")
    one_line_error(base + ["--fit-context", "--nodes", "0"], "--nodes must be a whole number > 0")
    one_line_error(base + ["--effective-context", "10", "--nodes", "2"], "--nodes is for --fit-context")
    one_line_error(base + ["--fit-context", "--fit-concurrency", "--nodes", "2"], "ask different questions")
