"""`llm-sizing calibrate`: the engine terms fitted from runs (calibrate/runs.py) against hand
derivations, the runs formats read, the command's output and files; `calibrate ops`
(calibrate/ops.py) measured on the CPU at the tiny plan (PyTorch: the [calibrate] extra; CI installs
the CPU build and sets LLM_SIZING_REQUIRE_TORCH=1 so the test cannot skip there)."""

import json
import os

import pytest

from conftest import cli, one_line_error
from llm_sizing import InputError, load_catalog
from llm_sizing.calibrate.runs import Prediction, Run, _request_overhead, _tpot_terms, read_runs

CATALOG = load_catalog()


def run(**values):
    base = dict(id="r", source="s", model="llama-3.1-8b", server="hgx-h100", engine="vllm", input_tokens=1000,
                output_tokens=100, concurrency=4, tpot_ms=10.0)
    return Run(**{**base, **values})


def test_step_terms_by_hand():
    # measured = model + 1.5 ms + 0.1 ms x sequences, exactly: least squares gives a = 1.5 ms, b = 100 us
    rows = [(4.0, 1), (6.0, 8), (9.0, 32), (20.0, 64)]
    predictions = [Prediction(run(tpot_ms=t0 + 1.5 + 0.1 * n, concurrency=n), t0, None, n) for t0, n in rows]
    a, b = _tpot_terms(predictions)
    assert (a, b) == (pytest.approx(1.5), pytest.approx(100.0))


def test_step_terms_never_negative():
    # the model is slower than measured everywhere: the best non-negative terms are none
    predictions = [Prediction(run(tpot_ms=5.0), 8.0, None, 4), Prediction(run(tpot_ms=6.0), 9.0, None, 16)]
    assert _tpot_terms(predictions) == (0.0, 0.0)


def test_request_overhead_by_hand():
    # TTFT measured 60 and 90 ms, modelled 10 and 60 ms: R minimises ((10 + R)/60 - 1)^2 + ((60 + R)/90 - 1)^2,
    # R = (50/60^2 + 30/90^2) / (1/60^2 + 1/90^2) = (0.013889 + 0.0037037) / (0.00027778 + 0.00012346) = 43.85 ms
    predictions = [Prediction(run(ttft_ms=60.0), 10.0, 10.0, 4), Prediction(run(ttft_ms=90.0), 10.0, 60.0, 4)]
    assert _request_overhead(predictions) == pytest.approx((50 / 60**2 + 30 / 90**2) / (1 / 60**2 + 1 / 90**2))
    assert _request_overhead(predictions) == pytest.approx(43.846, abs=1e-3)


def test_runs_from_a_csv_and_from_a_vllm_result(tmp_path):
    csv = tmp_path / "mine.csv"
    csv.write_text("id,model,server,engine,tensor_parallel,input_tokens,output_tokens,concurrency,tpot_ms,ttft_ms\n"
                   "a,llama-3.1-8b,hgx-h100,vllm,1,1000,200,8,9.5,80\n")
    (row,) = read_runs(csv)
    assert (row.source, row.concurrency, row.tpot_ms, row.ttft_ms) == ("mine", 8, 9.5, 80.0)
    result = tmp_path / "result.json"
    result.write_text(json.dumps({"max_concurrency": 16, "num_prompts": 160, "completed": 160,
                                  "total_input_tokens": 160 * 1024, "total_output_tokens": 160 * 256,
                                  "median_tpot_ms": 12.5, "median_ttft_ms": 95.0, "output_throughput": 1200.0}))
    (vllm,) = read_runs(result, model="llama-3.1-8b", server="hgx-h100", engine="vllm")
    assert (vllm.concurrency, vllm.input_tokens, vllm.output_tokens, vllm.num_prompts) == (16, 1024, 256, 160)
    with pytest.raises(InputError, match="does not say its model, server"):
        read_runs(result)


def test_bad_runs_files_are_one_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,model,server,engine,input_tokens,output_tokens,concurrency,tpot_ms\n"
                   "a,llama-3.1-8b,hgx-h100,vllm,1000,200,0,9.5\n")
    one_line_error(["calibrate", "runs", bad], "concurrency must be a whole number > 0")
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("id,model,server,engine,input_tokens,output_tokens,concurrency,tpot_ms\n"
                       "a,llama-3.1-8bb,hgx-h100,vllm,1000,200,4,9.5\n")
    one_line_error(["calibrate", "runs", unknown], "llama-3.1-8b")
    one_line_error(["calibrate", "runs", tmp_path / "missing.json"], "cannot read")


def two_sources(tmp_path):
    header = "id,model,server,engine,tensor_parallel,input_tokens,output_tokens,concurrency,tpot_ms,ttft_ms\n"
    (tmp_path / "one.csv").write_text(header + "a,llama-3.1-8b,hgx-h100,vllm,1,1000,200,4,8.0,60\n"
                                               "b,llama-3.1-8b,hgx-h100,vllm,1,1000,200,32,11.0,\n")
    (tmp_path / "two.csv").write_text(header + "c,qwen3-8b,hgx-h100,vllm,1,500,500,8,8.5,55\n"
                                               "d,qwen3-8b,hgx-h100,vllm,1,500,500,64,13.0,\n")
    return [tmp_path / "one.csv", tmp_path / "two.csv"]


def test_calibrate_runs_prints_terms_and_the_leave_one_source_out_error(tmp_path):
    done = cli(["calibrate", "runs", *two_sources(tmp_path)])
    assert done.returncode == 0, done.stderr
    assert "calibrate runs: 4 runs from 2 source(s): one, two" in done.stdout
    assert "vllm" in done.stdout and "leave-one-source-out" in done.stdout
    document = json.loads(cli(["calibrate", "runs", *two_sources(tmp_path), "--json-only"]).stdout)
    assert document["leave_one_source_out"]["runs"] == 4
    (terms,) = document["terms"]
    assert terms["engine"] == "vllm" and terms["gpu_model"] is None and terms["fitted_rows"] == 4


def test_calibrate_runs_writes_profiles_the_catalog_loads(tmp_path):
    into = tmp_path / "catalog"
    done = cli(["calibrate", "runs", *two_sources(tmp_path), "--into", into])
    assert done.returncode == 0, done.stderr
    written = into / "profiles" / "h100-sxm.json"
    assert written.exists()
    fitted = json.loads(cli(["calibrate", "runs", *two_sources(tmp_path), "--json-only"]).stdout)["terms"][0]
    profile = load_catalog([into]).find("profiles", "h100-sxm")
    assert profile.engines["vllm"]["step_overhead_ms"] == fitted["step_overhead_ms"]
    # the user's profile replaces the built-in one of the same name: perf now prices with it
    perf = json.loads(cli(["perf", "--catalog", into, "--model", "llama-3.1-8b", "--server", "hgx-h100", "--batch",
                           "4", "--input-tokens", "1000", "--output-tokens", "200", "--json-only"]).stdout)
    assert perf["performance"]["engine"]["per_sequence_us"] == fitted["per_sequence_us"]
    one_line_error(["calibrate", "runs", *two_sources(tmp_path), "--into", into], "already exists")


def test_calibrate_ops_without_pytorch_is_one_line(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)
    one_line_error(["calibrate", "ops", "--device", "cpu", "--plan", "tiny", "--into", tmp_path],
                   "pip install 'llm-sizing[calibrate]'")


def need_torch():
    if os.environ.get("LLM_SIZING_REQUIRE_TORCH") == "1":
        import torch  # noqa: F401  (CI: must be there)
    else:
        pytest.importorskip("torch")


def test_calibrate_ops_on_the_cpu_writes_a_profile_that_reproduces_it(tmp_path):
    need_torch()
    from llm_sizing.catalog.entries import PerformanceProfile

    into = tmp_path / "catalog"
    done = cli(["calibrate", "ops", "--device", "cpu", "--plan", "tiny", "--into", into])
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and "local-cpu" in done.stdout
    path = into / "profiles" / "local-cpu.json"
    entry = load_catalog([into]).find("profiles", "local-cpu")
    assert entry.status == "measured"
    measurements = entry.measurements
    assert {r["dtype"] for r in measurements["gemm"]} >= {"bf16"}
    # the profile prices every measured GEMM back to its measured time (the fractions are fitted there)
    profile = PerformanceProfile.from_dict(json.loads(path.read_text())["profiles"][0], origin="test").typed
    for row in measurements["gemm"]:
        width = {"bf16": 2, "fp8": 1}[row["dtype"]]
        if row["dtype"] not in profile.gemm_tables:
            continue
        ms, _, _, _ = profile.gemm(row["tokens"], row["K"], row["N"], width, row["dtype"])
        assert ms * 1e3 + profile.launch_graph_us == pytest.approx(row["us"], rel=0.10), row
    # and perf runs with it
    perf = cli(["perf", "--catalog", into, "--profile", "local-cpu", "--model", "llama-3.1-8b", "--server",
                "hgx-h100", "--batch", "1", "--input-tokens", "100", "--output-tokens", "10", "--json-only"])
    assert perf.returncode == 0, perf.stderr
    assert json.loads(perf.stdout)["performance"]["profile"]["name"] == "local-cpu"
