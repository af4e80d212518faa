"""The latency stage (stages/latency/): the roofline pieces, each against a hand derivation; service
targets and which constraint binds; power and cost (stages/cost.py); `perf` (replica.py)."""

import json

import pytest

from conftest import cli, one_line_error
from llm_sizing import InputError, PerfQuestion, PhysicalOptions, Scenario, ServiceOptions, load_catalog, size
from llm_sizing.replica import replica_performance
from llm_sizing.stages.latency.roofline import touched_fraction

CATALOG = load_catalog()
GIB = 2**30


def test_touched_experts():
    # 8 experts, 2 per token: 1 token touches 2/8; 2 tokens: 1 - (1 - 2/8)^2 = 0.4375
    assert touched_fraction(8, 2, 1) == pytest.approx(0.25)
    assert touched_fraction(8, 2, 2) == pytest.approx(0.4375)
    assert touched_fraction(0, 0, 100) == 1.0  # dense: all of it


def perf(model="llama-3.1-8b", server="hgx-h100", tp=1, batch=1, input_tokens=1000, output_tokens=1000,
         kv="bf16", **physical):
    service = ServiceOptions(input_tokens=input_tokens, output_tokens=output_tokens)
    question = PerfQuestion(model=model, server=server, batch=batch, kv_precision=kv,
                            physical=PhysicalOptions(tensor_parallel=tp, **physical), service=service)
    return replica_performance(question, CATALOG)


# Llama 3.1 8B in bf16: 8,030,261,248 parameters, of which 525,336,576 are the input embedding (a row
# lookup per token, not read whole): 7,504,924,672 parameters = 15,009,849,344 B read per decode step.
WEIGHT_BYTES = 2 * (8_030_261_248 - 525_336_576)


def test_decode_memory_time_by_hand():
    # batch 1, mean context 1000 + (1000 + 1) // 2 = 1500 tokens; KV read: 32 layers x 1500 x 8 x 256 x 2 B
    # = 196,608,000 B; H100 3.35 TB/s x MBU 0.8
    result = perf()
    kv = 32 * 1500 * 8 * 256 * 2
    assert result.performance.decode.memory_ms == pytest.approx((WEIGHT_BYTES + kv) / (3.35e12 * 0.8) * 1e3)


def test_decode_compute_time_by_hand():
    # linear: 2 x 7,504,924,672 FLOPs per token; attention: 4 x 32 heads x 128 x 1500 per layer x 32 layers;
    # at 989 TFLOPS (bf16) x MFU 0.6
    result = perf(batch=4)
    linear = 4 * 2 * 7_504_924_672
    attention = 4 * (4 * 32 * 128 * 1500) * 32
    assert result.performance.decode.compute_ms == pytest.approx((linear + attention) / (989e12 * 0.6) * 1e3)


def test_kernel_overhead_and_communication_by_hand():
    # TP2: 2 all-reduces per layer of batch x 4096 x 2 B; ring 2 x (2 - 1) / 2 x bytes / (900 GB/s / 2) + 10 us
    result = perf(tp=2, batch=8)
    message = 8 * 4096 * 2
    ring = 2 * 1 / 2 * message / 450e9
    assert result.performance.decode.communication_ms == pytest.approx(2 * 32 * (ring + 10e-6) * 1e3)
    # 32 layers x 40 us
    assert result.performance.decode.overhead_ms == pytest.approx(32 * 40e-3)


def test_tpot_composition():
    # TPOT = decode step + batch x prompt compute time / output tokens
    p = perf(batch=16).performance
    assert p.tpot_ms == pytest.approx(p.decode.total_ms + 16 * p.prefill_compute_ms / 1000)
    assert p.output_tokens_per_s == pytest.approx(16 * 1000 / p.tpot_ms)
    assert p.output_tokens_per_s_per_session == pytest.approx(1000 / p.tpot_ms)


def test_prefill_compute_by_hand():
    # a 1000-token prompt alone: 2 x 7,504,924,672 x 1000 linear FLOPs + causal attention (each token sees
    # about half the prompt: 4 x 32 x 128 x 500 per token per layer) at 989 TFLOPS x 0.6
    p = perf().performance
    linear = 2 * 7_504_924_672 * 1000
    attention = 1000 * 4 * 32 * 128 * 500 * 32
    assert p.prefill_compute_ms == pytest.approx((linear + attention) / (989e12 * 0.6) * 1e3)
    assert p.prefill_chunks == 1  # 1000 tokens < 8192 - 1 batched tokens


def test_larger_batch_never_faster_per_token():
    tpots = [perf(batch=b).performance.tpot_ms for b in (1, 8, 64, 256)]
    assert tpots == sorted(tpots)


def test_memory_bound_at_small_batch_compute_bound_at_large():
    assert perf(batch=1).performance.bound == "memory"
    assert perf(batch=1024, input_tokens=100, output_tokens=100).performance.bound == "compute"


def scenario(**service):
    return Scenario(model="gpt-oss-120b", server="dgx300", storage="profile_default", concurrency=1000,
                    effective_context=131072, service=ServiceOptions(**service))


def test_targets_that_memory_meets_leave_the_seed_numbers():
    sizing = size(scenario(input_tokens=8000, output_tokens=1000, target_tpot_ms=1000), CATALOG)
    assert (sizing.results.sessions_per_node, sizing.results.nodes_final) == (613, 2)
    assert sizing.results.binding_constraint == "memory"
    assert sizing.results.nodes_for_slo <= sizing.results.nodes_for_memory


def test_a_tight_target_adds_nodes_and_binds():
    sizing = size(scenario(input_tokens=8000, output_tokens=1000, target_tpot_ms=3), CATALOG)
    r = sizing.results
    assert r.binding_constraint == "latency"
    assert r.nodes_final == r.nodes_for_slo > r.nodes_for_memory
    batch = r.slo_batch_per_replica
    # the chosen batch meets the target and one more session does not
    assert sizing.latency.slo.performance.tpot_ms <= 3
    assert sizing.latency.slo.sessions_per_node == batch  # under the seed's rule: one replica (TP8) per node
    over = perf("gpt-oss-120b", "dgx300", tp=8, batch=batch + 1, input_tokens=8000, output_tokens=1000, kv="fp8")
    assert over.performance.tpot_ms > 3
    # nodes for the targets: ceil(1000 x 1.2 / batch); the margin is the difference to memory's 2
    assert r.nodes_for_slo == -(-1200 // batch)
    assert r.binding_margin_nodes == r.nodes_for_slo - 2


def test_unreachable_targets_give_no_node_count():
    sizing = size(scenario(input_tokens=8000, output_tokens=1000, target_tpot_ms=0.01), CATALOG)
    assert sizing.results.nodes_final is None
    assert "SLO_UNREACHABLE" in {f.code for f in sizing.findings}


def test_targets_need_the_workload():
    from llm_sizing import InputError

    with pytest.raises(InputError, match="give --input-tokens and --output-tokens"):
        ServiceOptions(target_tpot_ms=50)


def test_power_and_cost_by_hand():
    sizing = size(scenario(input_tokens=8000, output_tokens=1000, price_per_gpu_hour_usd=6.0), CATALOG)
    r = sizing.results
    # dgx300: 14.5 kW per node x 2 nodes; 8 GPUs x 2 nodes x $6
    assert (r.power_kw_per_node, r.power_kw_cluster) == (14.5, 29.0)
    assert r.usd_per_hour == 96.0
    # $ per million output tokens = $96 / (1000 sessions x tokens/s per session x 3600 s) x 10^6
    rate = r.output_tokens_per_s_per_session * 1000
    assert r.usd_per_million_output_tokens == pytest.approx(96 / (rate * 3600) * 1e6)


def test_power_from_gpu_tdp_when_the_node_figure_is_missing():
    sizing = size(Scenario(model="llama-3.1-8b", server="mi300x-8", storage="profile_default", concurrency=10,
                           effective_context=1000), CATALOG)
    assert sizing.results.power_kw_per_node == 8 * 750 / 1000


def test_perf_subcommand_json():
    argv = ["perf", "--model", "llama-3.1-8b", "--server", "hgx-h100", "--batch", "64", "--input-tokens", "1024",
            "--output-tokens", "1024", "--json-only"]
    done = cli(argv)
    assert done.returncode == 0, done.stderr
    p = json.loads(done.stdout)["performance"]
    for key in ("ttft_ms", "tpot_ms", "output_tokens_per_s", "output_tokens_per_s_per_session", "bound"):
        assert key in p
    assert p["output_tokens_per_s"] == pytest.approx(64 * p["output_tokens_per_s_per_session"])


def test_perf_subcommand_needs_the_workload_and_one_layout():
    base = ["perf", "--model", "llama-3.1-8b", "--server", "hgx-h100", "--batch", "8"]
    one_line_error(base, "--input-tokens and --output-tokens")
    one_line_error(base + ["--input-tokens", "10", "--output-tokens", "10", "--tensor-parallel", "auto"],
                   "auto is for sizing")
    one_line_error(["perf", "--model", "llama-3.1-8b", "--input-tokens", "10", "--output-tokens", "10"],
                   "perf needs --server, --batch")


def test_targets_from_the_cli():
    argv = ["--model", "gpt-oss-120b", "--server", "dgx300", "--storage", "profile_default", "--concurrency", "1000",
            "--effective-context", "131072", "--input-tokens", "8000", "--output-tokens", "1000",
            "--target-tpot-ms", "3", "--json-only"]
    document = json.loads(cli(argv).stdout)
    assert document["results"]["binding_constraint"] == "latency"
    assert document["performance"]["slo"]["batch_per_replica"] == document["results"]["slo_batch_per_replica"]


def test_pipeline_parallel_is_no_faster_per_token():
    # a token crosses the 8 stages in turn: the same bytes and FLOPs as one group of all the layers,
    # plus 7 hand-offs of 10 us
    one = perf("llama-3.3-70b-instruct", batch=8, input_tokens=1000, output_tokens=100)
    eight = perf("llama-3.3-70b-instruct", batch=8, input_tokens=1000, output_tokens=100, pipeline_parallel=8)
    assert eight.performance.tpot_ms == pytest.approx(one.performance.tpot_ms + 7 * 0.010)


def test_memory_infeasible_with_targets_blames_memory():
    sizing = size(Scenario(model="llama-3.1-8b", server="hgx-h100", storage="profile_default", concurrency=10,
                           effective_context=8192, runtime_overhead_gib=1000,
                           service=ServiceOptions(input_tokens=1000, output_tokens=100, target_tpot_ms=1000)), CATALOG)
    assert "SLO_UNREACHABLE" not in {f.code for f in sizing.findings}
    assert "HBM_BUDGET_INSUFFICIENT" in {f.code for f in sizing.findings}
    assert sizing.latency is None


def test_targets_need_the_servers_figures(tmp_path):
    entry = {"name": "bare8", "gpus_per_node": 8, "hbm_per_gpu_gb": 80, "hbm_total_gb": 640, "source": "test"}
    (tmp_path / "servers.json").write_text(json.dumps({"servers": [entry]}))
    one_line_error(["--catalog", tmp_path, "--model", "llama-3.1-8b", "--server", "bare8", "--storage",
                    "profile_default", "--concurrency", "10", "--effective-context", "8192", "--input-tokens",
                    "1000", "--output-tokens", "100", "--target-tpot-ms", "1"],
                   "latency targets need the server's performance figures")


def test_json_has_no_infinity_and_the_text_says_why():
    # a batch of 10,000 fills the 8,192 batched tokens: no prefill ever runs
    argv = ["perf", "--model", "llama-3.1-8b", "--server", "hgx-h100", "--batch", "10000", "--input-tokens", "100",
            "--output-tokens", "10"]
    done = cli(argv + ["--json-only"])
    assert "Infinity" not in done.stdout
    assert json.loads(done.stdout)["performance"]["ttft_ms"] is None
    assert "TTFT not reached (no room for prefill)" in cli(argv).stdout


def test_targets_need_finite_values():
    with pytest.raises(InputError, match="--target-tpot-ms must be a number in"):
        ServiceOptions(input_tokens=1, output_tokens=1, target_tpot_ms=float("inf"))


def test_perf_refuses_a_workload_beyond_the_models_context():
    one_line_error(["perf", "--model", "llama-3.1-8b", "--server", "hgx-h100", "--batch", "8", "--input-tokens",
                    "999999999", "--output-tokens", "10"], "exceed llama-3.1-8b's max_position_embeddings")
