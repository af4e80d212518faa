"""--fit-context and --fit-concurrency: the inverse questions, checked by hand and by re-sizing."""

import json

from conftest import run_entry
from llm_sizing import Scenario, load_catalog, size
from llm_sizing.fit import fit_concurrency, fit_context

CATALOG = load_catalog()
QUICK = dict(model="opt-oss-120b", server="dgx300", storage="profile_default", concurrency=1000,
             effective_context=131072)


def test_fit_concurrency_by_hand():
    # 613 sessions per node; 2 nodes, headroom 0.2: floor(2 x 613 / 1.2) = floor(1021.67) = 1021
    fit = fit_concurrency(Scenario(**QUICK), CATALOG, 2)
    assert fit.answer == 1021
    assert fit.sizing.results.nodes_final == 2
    # one more session needs a third node: ceil(1022 x 1.2 / 613) = ceil(2.0007) = 3
    assert size(Scenario(**{**QUICK, "concurrency": 1022}), CATALOG).results.nodes_final == 3


def test_fit_concurrency_with_ha_keeps_a_spare():
    # n+1 on 2 nodes leaves 1 for sessions: floor(613 / 1.2) = 510
    assert fit_concurrency(Scenario(**{**QUICK, "ha": "n+1"}), CATALOG, 2).answer == 510
    assert fit_concurrency(Scenario(**{**QUICK, "ha": "n+1"}), CATALOG, 1).answer is None


def test_fit_context_by_hand():
    # 1000 sessions on 1 node need floor(budget / kv) >= 1200: budget 1,483,950,981,120 B
    # kv(L) = 18 x L x 1,024 + 18 x 128 x 1,024 = 18,432 L + 2,359,296 (L >= 128)
    # 1,483,950,981,120 / 1200 = 1,236,625,817.6 -> L <= (1,236,625,817.6 - 2,359,296) / 18,432 = 66,963.2
    fit = fit_context(Scenario(**QUICK), CATALOG, 1)
    assert fit.answer == 66_963
    assert fit.sizing.results.sessions_per_node == 1200
    assert size(Scenario(**{**QUICK, "effective_context": 66_964}), CATALOG).results.sessions_per_node == 1199


def test_fit_context_caps_at_the_models_limit():
    fit = fit_context(Scenario(**QUICK), CATALOG, 2)
    assert fit.answer == 131072


def test_fit_context_none_when_nothing_fits():
    fit = fit_context(Scenario(**{**QUICK, "concurrency": 10**9}), CATALOG, 1)
    assert fit.answer is None and fit.sizing is None


def test_fit_from_the_cli_in_json():
    argv = ["--model", "gpt-oss-120b", "--server", "dgx300", "--storage", "profile_default",
            "--concurrency", "1000", "--fit-context", "--nodes", "1", "--json-only"]
    document = json.loads(run_entry(argv).stdout)
    assert document["fit"]["max_effective_context"] == 66_963
    assert document["results"]["sessions_per_node"] == 1200
    argv = ["--model", "gpt-oss-120b", "--server", "dgx300", "--storage", "profile_default",
            "--effective-context", "131072", "--fit-concurrency", "--nodes", "2", "--json-only"]
    assert json.loads(run_entry(argv).stdout)["fit"]["max_concurrency"] == 1021


def test_fit_needs_nodes():
    done = run_entry(["--model", "gpt-oss-120b", "--server", "dgx300", "--storage", "profile_default",
                      "--concurrency", "1000", "--fit-context"])
    assert done.returncode == 2 and "--nodes" in done.stderr
    done = run_entry(["--model", "gpt-oss-120b", "--server", "dgx300", "--storage", "profile_default",
                      "--concurrency", "1000", "--fit-context", "--nodes", "0"])
    assert done.returncode == 2 and "--nodes must be a whole number > 0" in done.stderr


def test_fit_context_uses_the_physical_model_when_asked():
    from llm_sizing.scenario import PhysicalOptions

    physical = Scenario(**QUICK, memory_model="physical", physical=PhysicalOptions(tensor_parallel=2))
    fit = fit_context(physical, CATALOG, 1)
    # 1000 x 1.2 = 1200 sessions on one node: the answer holds them, one more token does not
    assert fit.sizing.results.sessions_per_node >= 1200
    import dataclasses

    longer = size(dataclasses.replace(physical, effective_context=fit.answer + 1), CATALOG)
    assert longer.results.sessions_per_node < 1200
    assert fit.answer != fit_context(Scenario(**QUICK), CATALOG, 1).answer  # not the seed's rule
