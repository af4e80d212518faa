"""The command line: in process for the behaviour (`cli.run`, what the entry points call), and a few
real processes for the entry points themselves (sizing.py as the card writes it, the installed
`llm-sizing`, `python -m llm_sizing`); exit statuses and one-line errors."""

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from conftest import QUICK_START, ROOT, cli, one_line_error, run_entry
from llm_sizing import load_catalog

CARD_RESULTS = {"kv_per_session_gib": 2.25, "kv_total_tib": 2.2, "sessions_per_node": 613,
                "nodes_minimum": 2, "nodes_with_headroom": 2}


def installed_command():
    """The console script next to this interpreter (pip install puts it there)."""
    here = Path(sys.executable).parent / "llm-sizing"
    return str(here) if here.exists() else shutil.which("llm-sizing")


# ---- the real entry points ----------------------------------------------------------------------

def test_quick_start_report_verbatim():
    done = run_entry(QUICK_START)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for needle in ("Inputs", "Catalog entries used", "Memory arithmetic", "Results", "Warnings",
                   "2,418,278,400 B", "1,382.037 GiB", "floor(1,382.037 / 2.252197) = 613",
                   "ceil(1,200 / 613) = 2", "PREFILL_IO_PRESSURE"):
        assert needle in out, needle
    assert done.stderr == ""


def test_quick_start_json_only():
    done = run_entry(QUICK_START + ["--json-only"])
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # only JSON on stdout
    assert {k: document["results"][k] for k in CARD_RESULTS} == CARD_RESULTS
    assert document["results"]["nodes_final"] == 2  # --ha defaults to none
    assert document["results"]["kv_per_session_bytes"] == 2_418_278_400
    assert isinstance(document["results"]["kv_per_session_bytes"], int)
    assert document["inputs"]["effective_context"] == 131072
    assert document["catalog"]["server"]["name"] == "dgx300"
    assert [g["kind"] for g in document["kv_breakdown"]] == ["sliding_attention", "full_attention"]
    warning = document["warnings"][0]
    assert set(warning) >= {"code", "severity", "message", "remedy"}


def test_installed_console_command_gives_the_same_json():
    command = installed_command()
    if command is None:
        pytest.skip("llm-sizing is not installed in this environment (pip install -e .)")
    via_script = json.loads(run_entry(QUICK_START + ["--json-only"]).stdout)
    via_command = json.loads(run_entry(QUICK_START + ["--json-only"], script=command).stdout)
    assert via_command["results"] == via_script["results"]


def test_python_module_entry_point():
    done = run_entry(QUICK_START + ["--json-only"], script="module",
                     env={"PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")})
    assert json.loads(done.stdout)["results"]["sessions_per_node"] == 613


def test_a_bad_flag_is_one_line_from_a_real_process():
    done = run_entry(QUICK_START + ["--concurrency", "0"])
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == ("sizing.py: error: --concurrency must be a whole number > 0 and at most "
                                   "1,000,000,000 (sessions); got 0")


# ---- in process ---------------------------------------------------------------------------------

def test_ha_scenario_gives_three_nodes():
    done = cli(QUICK_START + ["--kv-precision", "fp8", "--ha", "n+1", "--json-only"])
    assert json.loads(done.stdout)["results"]["nodes_final"] == 3


def test_choices_are_case_insensitive():
    done = cli(QUICK_START + ["--kv-precision", "FP8", "--ha", "N+1", "--json-only"])
    inputs = json.loads(done.stdout)["inputs"]
    assert (inputs["kv_precision"], inputs["ha"]) == ("fp8", "n+1")


def test_clamped_context_echoes_both_values():
    argv = ["--model", "gpt-oss-20b", "--server", "dgx200", "--storage", "profile_default",
            "--concurrency", "10", "--effective-context", "200000", "--json-only"]
    inputs = json.loads(cli(argv).stdout)["inputs"]
    assert (inputs["effective_context"], inputs["effective_context_requested"],
            inputs["effective_context_clamped"]) == (131072, 200000, True)


def test_budget_that_holds_no_session_exits_1_with_null_nodes():
    done = cli(QUICK_START + ["--runtime-overhead-gib", "1600", "--json-only"])
    assert done.returncode == 1
    document = json.loads(done.stdout)
    results = document["results"]
    assert results["sessions_per_node"] == 0
    assert (results["nodes_minimum"], results["nodes_with_headroom"], results["nodes_final"]) == (None, None, None)
    assert document["warnings"][-1]["code"] == "HBM_BUDGET_INSUFFICIENT"
    report = cli(QUICK_START + ["--runtime-overhead-gib", "1600"])
    assert report.returncode == 1 and "insufficient HBM budget" in report.stdout


@pytest.mark.parametrize("change,needle", [
    (("--model", "opt-oss-12b"), "unknown model 'opt-oss-12b'. Valid models: "),
    (("--model", "opt-oss-12b"), "opt-oss-120b, opt-oss-20b, phi-4"),
    (("--model", "opt-oss-12b"), "Did you mean 'opt-oss-120b'?"),
    (("--server", "dgx30"), "Did you mean 'dgx300'?"),
    (("--storage", "profile_defualt"), "Did you mean 'profile_default'?"),
    (("--concurrency", "abc"), "'abc' is not a valid integer"),
    (("--concurrency", "1_000"), "'1_000' is not a valid integer (ASCII digits only)"),
    (("--concurrency", "١٠٠٠"), "is not a valid integer (ASCII digits only)"),
    (("--concurrency", "1e3"), "is not a valid integer"),
    (("--concurrency", "0"), "--concurrency must be a whole number > 0"),
    (("--concurrency", "1000000001"), "--concurrency must be a whole number > 0 and at most 1,000,000,000"),
    (("--effective-context", "-1"), "--effective-context must be a whole number > 0"),
    (("--kv-budget-ratio", "1.5"), "--kv-budget-ratio must be a number in (0, 1]"),
    (("--kv-budget-ratio", "0"), "--kv-budget-ratio must be a number in (0, 1]"),
    (("--kv-budget-ratio", "x"), "'x' is not a valid float"),
    (("--kv-budget-ratio", "nan"), "'nan' is not a valid float"),
    (("--peak-headroom-ratio", "-0.1"), "--peak-headroom-ratio must be a number from 0 to 100"),
    (("--peak-headroom-ratio", "1e308"), "--peak-headroom-ratio must be a number from 0 to 100"),
    (("--runtime-overhead-gib", "-1"), "--runtime-overhead-gib must be a number from 0 to 1,000,000"),
    (("--ha", "n+2"), "'n+2' is not one of 'none', 'n+1'"),
    (("--kv-precision", "fp4"), "'fp4' is not one of 'fp8', 'fp16', 'bf16', 'fp32'"),
    (("--modle",), "No such option"),
])
def test_bad_input_is_one_line_and_status_2(change, needle):
    argv = list(QUICK_START)
    if change[0] in argv:
        index = argv.index(change[0])
        argv[index:index + 2] = change
    else:
        argv += change
    one_line_error(argv, needle)


def test_huge_inputs_are_refused_not_overflowed():
    base = ["--model", "llama-3.1-8b", "--server", "hgx-h100", "--storage", "profile_default", "--concurrency", "10",
            "--effective-context", "8192"]
    one_line_error(base + ["--memory-model", "physical", "--kv-cache-memory-gib", "1e308"],
                   "--kv-cache-memory-gib must be a number from 0 to")
    one_line_error(base + ["--input-tokens", "8000", "--output-tokens", "1000"], "exceed --effective-context")
    one_line_error(base + ["--input-tokens", "100", "--output-tokens", "100", "--price-per-gpu-hour", "inf"],
                   "'inf' is not a valid float")


def test_missing_required_flags():
    one_line_error(["--model", "opt-oss-120b"], "missing --server, --storage, --concurrency, --effective-context")


def test_no_flags_prints_the_help():
    done = cli([])
    assert done.returncode == 0 and "Usage:" in done.stdout and "Examples:" in done.stdout


def test_broken_user_catalog_is_one_line(tmp_path):
    (tmp_path / "servers.json").write_text('{"servers": [\n  {"name": "x", "gpus_per_node": "eight"}\n]}\n')
    one_line_error(QUICK_START + ["--catalog", tmp_path], f"{tmp_path / 'servers.json'}:2: server entry 'x'")


def test_user_catalog_from_environment_variable(tmp_path, monkeypatch):
    entry = {"name": "hgx-h100", "gpus_per_node": 8, "hbm_per_gpu_gb": 80, "hbm_total_gb": 640,
             "source": "NVIDIA H100 datasheet"}
    (tmp_path / "servers.json").write_text(json.dumps({"servers": [entry]}))
    monkeypatch.setenv("LLM_SIZING_CATALOG", str(tmp_path))
    argv = ["--model", "gpt-oss-20b", "--server", "hgx-h100", "--storage", "profile_default",
            "--concurrency", "100", "--effective-context", "8192", "--json-only"]
    done = cli(argv)
    assert done.returncode == 0, done.stderr
    # 8 x 80 GB = 640e9 B = 596.046 GiB; x 0.7 - 120 = 297.23 GiB
    assert json.loads(done.stdout)["results"]["kv_budget_gib"] == pytest.approx(640e9 * 0.7 / 2**30 - 120)


def test_help_explains_every_flag_with_unit_and_default():
    out = cli(["--help"]).stdout
    for needle in ("--kv-precision", "[default: fp8]", "--kv-budget-ratio", "[default: 0.70]",
                   "--runtime-overhead-gib", "GiB", "[default: 120]", "--peak-headroom-ratio", "[default: 0.20]",
                   "--ha", "[default: none]", "--json-only", "--catalog", "Examples:", "tokens", "sessions"):
        assert needle in out, needle


def test_options_and_defaults_come_from_the_question_dataclasses():
    import dataclasses

    from llm_sizing.cli import main
    from llm_sizing.scenario import PhysicalOptions, Scenario, ServiceOptions

    params = {opt: param for param in main.params for opt in param.opts}
    for cls in (Scenario, PhysicalOptions, ServiceOptions):
        for item in dataclasses.fields(cls):
            if "flag" in item.metadata:
                # no CLI default: a flag not given leaves the dataclass default in force
                assert params[item.metadata["flag"]].default in (None, False), item.name


def test_catalog_list_show_validate_schema(tmp_path):
    listing = cli(["catalog", "list"])
    assert listing.returncode == 0
    assert all(name in listing.stdout for name in ("opt-oss-120b", "dgx200", "profile_cloud_premium"))
    as_json = json.loads(cli(["catalog", "list", "--kind", "servers", "--json"]).stdout)
    assert [s["name"] for s in as_json["servers"]][:2] == ["dgx300", "dgx200"]
    shown = json.loads(cli(["catalog", "show", "gpt-oss-20b"]).stdout)
    assert shown["name"] == "opt-oss-20b" and shown["config"]["num_hidden_layers"] == 24
    one_line_error(["catalog", "show", "dgx301"], "Did you mean 'dgx300'?")
    assert cli(["catalog", "validate"]).stdout.strip().endswith(
        f"valid: {len(load_catalog().models)} models, {len(load_catalog().servers)} servers, 3 storage profiles, "
            f"{len(load_catalog().profiles)} performance profiles")
    (tmp_path / "storage.json").write_text('{"storage": [{"name": "s3"}]}')
    one_line_error(["catalog", "validate", tmp_path], "storage profile entry 's3': must contain")
    schema = json.loads(cli(["catalog", "schema", "models"]).stdout)
    assert schema["title"] == "llm-sizing model catalog file"


def test_the_json_inputs_replay_the_sizing():
    from llm_sizing import PhysicalOptions, Scenario, ServiceOptions, size

    argv = ["--model", "gpt-oss-120b", "--server", "dgx300", "--storage", "profile_default", "--concurrency", "1000",
            "--effective-context", "200000", "--memory-model", "physical", "--tensor-parallel", "auto",
            "--input-tokens", "8000", "--output-tokens", "1000", "--target-tpot-ms", "20", "--target-ttft-ms", "900",
            "--price-per-gpu-hour", "6", "--max-num-seqs", "512", "--json-only"]
    document = json.loads(cli(argv).stdout)
    inputs = document["inputs"]
    assert inputs["physical"]["tensor_parallel"] == "auto" and inputs["memory_model"] == "physical"
    assert (inputs["service"]["target_tpot_ms"], inputs["service"]["target_ttft_ms"]) == (20, 900)
    plain = ("model", "server", "storage", "concurrency", "kv_precision", "kv_budget_ratio", "runtime_overhead_gib",
             "peak_headroom_ratio", "ha", "kv_accounting", "block_size", "max_num_batched_tokens", "memory_model")
    replayed = size(Scenario(**{key: inputs[key] for key in plain}, effective_context=inputs[
        "effective_context_requested"], physical=PhysicalOptions(**inputs["physical"]),
        service=ServiceOptions(**inputs["service"])))
    assert json.loads(json.dumps(dataclasses_asdict(replayed.results))) == document["results"]


def dataclasses_asdict(results):
    import dataclasses

    return {k: v for k, v in dataclasses.asdict(results).items() if v is not None or k in CARD_RESULTS
            or k == "nodes_final"}
