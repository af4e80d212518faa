"""Defects found in review, each pinned by a test: pipeline parallelism in the roofline, the fit
questions with targets and auto layouts, physical-mode findings and JSON, and inputs that used to
crash (now one line, exit status 2)."""

import json

import pytest

from conftest import FIXTURES, run_entry
from llm_sizing import InputError, Scenario, load_catalog, size
from llm_sizing.calculate import performance_of
from llm_sizing.fit import fit_concurrency
from llm_sizing.scenario import PhysicalOptions, ServiceOptions

CATALOG = load_catalog()
HF = FIXTURES / "hf-configs"


def tpot(**physical):
    service = ServiceOptions(input_tokens=1000, output_tokens=100)
    return performance_of(CATALOG, "llama-3.3-70b-instruct", "hgx-h100", "bf16", 8, PhysicalOptions(**physical),
                          service, 8192).performance


def test_pipeline_parallel_is_no_faster_per_token():
    # a token crosses the 8 stages in turn: the same bytes and FLOPs as one group of all the layers,
    # plus 7 hand-offs of 10 us
    one, eight = tpot(tensor_parallel=1), tpot(tensor_parallel=1, pipeline_parallel=8)
    assert eight.tpot_ms == pytest.approx(one.tpot_ms + 7 * 0.010)


def test_fit_concurrency_with_targets_really_fits():
    scenario = Scenario(model="llama-3.1-8b", server="hgx-h100", storage="profile_default", concurrency=1,
                        effective_context=8192, service=ServiceOptions(input_tokens=4096, output_tokens=1024,
                                                                       target_tpot_ms=20))
    fit = fit_concurrency(scenario, CATALOG, 2)
    assert fit.sizing.results.nodes_final <= 2
    import dataclasses

    assert size(dataclasses.replace(scenario, concurrency=fit.answer + 1), CATALOG).results.nodes_final > 2


def test_fit_concurrency_with_auto_uses_the_best_layout():
    scenario = Scenario(model="llama-3.3-70b-instruct", server="hgx-h100", storage="profile_default", concurrency=1,
                        effective_context=8192, memory_model="physical",
                        physical=PhysicalOptions(tensor_parallel="auto"))
    fit = fit_concurrency(scenario, CATALOG, 4)
    best = max(plan.sessions_per_node for plan, _ in fit.sizing.layout_alternatives)
    assert fit.answer == int(4 * best / 1.2)


def test_auto_keeps_data_parallel_and_expert_parallel():
    sizing = size(Scenario(model="deepseek-v3", server="dgx300", storage="profile_default", concurrency=100,
                           effective_context=8192, memory_model="physical",
                           physical=PhysicalOptions(tensor_parallel="auto", data_parallel=8, expert_parallel=True)),
                  CATALOG)
    assert {(p.layout.data_parallel, p.layout.expert_parallel) for p, _ in sizing.layout_alternatives} == {(8, True)}


BASE = ["--storage", "profile_default", "--concurrency", "10", "--effective-context", "8192"]


def one_line_error(argv, needle):
    done = run_entry(argv)
    assert done.returncode == 2, done.stdout[-300:]
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert needle in done.stderr, done.stderr


def test_physical_json_memory_block_is_the_physical_pool():
    argv = ["--model", "gpt-oss-120b", "--server", "hgx-h100", *BASE, "--memory-model", "physical",
            "--tensor-parallel", "2", "--json-only"]
    document = json.loads(run_entry(argv).stdout)
    memory = document["memory"]
    assert memory["rule"] == "physical" and "runtime_overhead_gib" not in memory
    assert memory["kv_budget_bytes"] / 2**30 == pytest.approx(document["results"]["kv_budget_gib"], rel=1e-9)


def test_seed_flags_are_refused_under_the_physical_model():
    one_line_error(["--model", "gpt-oss-20b", "--server", "hgx-h100", *BASE, "--memory-model", "physical",
                    "--runtime-overhead-gib", "500"], "belong to the seed's rule")


def test_weights_that_do_not_fit_are_named_and_no_command_is_printed():
    argv = ["--model", "llama-3.1-405b", "--server", "hgx-h100", *BASE, "--memory-model", "physical",
            "--tensor-parallel", "8", "--json-only"]
    done = run_entry(argv)
    assert done.returncode == 1
    document = json.loads(done.stdout)
    codes = [w["code"] for w in document["warnings"]]
    assert "PHYSICAL_NO_KV_ROOM" in codes and "HBM_BUDGET_INSUFFICIENT" not in codes
    assert document["physical"]["commands"] is None


def test_memory_infeasible_with_targets_blames_memory():
    sizing = size(Scenario(model="llama-3.1-8b", server="hgx-h100", storage="profile_default", concurrency=10,
                           effective_context=8192, runtime_overhead_gib=1000,
                           service=ServiceOptions(input_tokens=1000, output_tokens=100, target_tpot_ms=1000)), CATALOG)
    assert "SLO_UNREACHABLE" not in {f.code for f in sizing.findings}
    assert "HBM_BUDGET_INSUFFICIENT" in {f.code for f in sizing.findings}


def test_targets_need_the_servers_figures(tmp_path):
    entry = {"name": "bare8", "gpus_per_node": 8, "hbm_per_gpu_gb": 80, "hbm_total_gb": 640, "source": "test"}
    (tmp_path / "servers.json").write_text(json.dumps({"servers": [entry]}))
    one_line_error(["--catalog", str(tmp_path), "--model", "llama-3.1-8b", "--server", "bare8", *BASE,
                    "--input-tokens", "1000", "--output-tokens", "100", "--target-tpot-ms", "1"],
                   "latency targets need the server's performance figures")


def test_seed_rule_warns_when_weights_exceed_the_overhead():
    # Llama 3.1 405B in bf16: 811,706,777,600 B = 756 GiB of weights > the 120 GiB overhead
    sizing = size(Scenario(model="llama-3.1-405b", server="hgx-h100", storage="profile_default", concurrency=10,
                           effective_context=8192), CATALOG)
    finding = {f.code: f for f in sizing.findings}["SEED_OVERHEAD_BELOW_WEIGHTS"]
    assert finding.data["weights_gib"] == pytest.approx(811_706_777_600 / 2**30, rel=1e-6)
    quick = size(Scenario(model="opt-oss-120b", server="dgx300", storage="profile_default", concurrency=1000,
                          effective_context=131072), CATALOG)
    assert "SEED_OVERHEAD_BELOW_WEIGHTS" not in {f.code for f in quick.findings}  # 60.8 GiB < 120


def test_huge_inputs_are_refused_not_overflowed():
    one_line_error(["--model", "llama-3.1-8b", "--server", "hgx-h100", *BASE, "--memory-model", "physical",
                    "--kv-cache-memory-gib", "1e308"], "--kv-cache-memory-gib must be a number from 0 to")
    one_line_error(["perf", "--model", "llama-3.1-8b", "--server", "hgx-h100", "--batch", "8", "--input-tokens",
                    "999999999999", "--output-tokens", "10"], "exceed llama-3.1-8b's max_position_embeddings")
    one_line_error(["--model", "llama-3.1-8b", "--server", "hgx-h100", *BASE, "--input-tokens", "8000",
                    "--output-tokens", "1000"], "exceed --effective-context")
    one_line_error(["--model", "llama-3.1-8b", "--server", "hgx-h100", *BASE, "--input-tokens", "100",
                    "--output-tokens", "100", "--comm-latency-us", "inf"], "--comm-latency-us must be a number")


def config_dir(tmp_path, change):
    config = json.loads((HF / "meta-llama--Meta-Llama-3.1-8B" / "config.json").read_text())
    config.update(change)
    (tmp_path / "config.json").write_text(json.dumps(config))
    return str(tmp_path)


@pytest.mark.parametrize("change,needle", [
    ({"quantization_config": {"quant_method": "fp8", "weight_block_size": [64]}}, "weight_block_size must be two"),
    ({"quantization_config": "fp8"}, "quantization_config must be a JSON object"),
])
def test_odd_quantization_configs_are_refused(tmp_path, change, needle):
    path = config_dir(tmp_path, change)
    one_line_error(["--model", path, "--server", "hgx-h100", *BASE, "--memory-model", "physical"], needle)
    one_line_error(["catalog", "import", path, "--into", str(tmp_path / "cat")], needle)


def test_config_that_is_not_an_object(tmp_path):
    (tmp_path / "config.json").write_text("[1, 2]")
    one_line_error(["--model", str(tmp_path), "--server", "hgx-h100", *BASE], "must hold a JSON object")


def test_import_into_a_file_is_one_line(tmp_path):
    (tmp_path / "file.json").write_text("{}")
    one_line_error(["catalog", "import", str(HF / "openai--gpt-oss-20b" / "config.json"), "--into",
                    str(tmp_path / "file.json")], "cannot write the catalog entry there")


def test_json_has_no_infinity():
    done = run_entry(["perf", "--model", "llama-3.1-8b", "--server", "hgx-h100", "--batch", "10000",
                      "--input-tokens", "100", "--output-tokens", "10", "--json-only"])
    assert "Infinity" not in done.stdout
    assert json.loads(done.stdout)["performance"]["ttft_ms"] is None


def test_weights_gib_rescues_a_model_whose_parameters_cannot_be_counted():
    sizing = size(Scenario(model="gemma-4-26b-a4b", server="dgx300", storage="profile_default", concurrency=10,
                           effective_context=8192, memory_model="physical",
                           physical=PhysicalOptions(weights_gib=48)), CATALOG)
    assert sizing.results.weights_gib_per_gpu == 48.0
    with pytest.raises(Exception, match="enable_moe_block"):
        size(Scenario(model="gemma-4-26b-a4b", server="dgx300", storage="profile_default", concurrency=10,
                      effective_context=8192, memory_model="physical"), CATALOG)


def test_targets_need_finite_values():
    with pytest.raises(InputError, match="--target-tpot-ms must be a number in"):
        ServiceOptions(input_tokens=1, output_tokens=1, target_tpot_ms=float("inf"))
