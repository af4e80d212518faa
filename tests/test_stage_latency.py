"""The latency stage (stages/latency/): the operators of a step against hand derivations, the step as
their sum plus launches plus the engine's share, serving under load as benchmarks define it, the
decode speed at the memory packing, service targets and which constraint binds; power and cost
(stages/cost.py); `perf` (replica.py)."""

import json

import pytest

from conftest import ROOT, cli, one_line_error
from llm_sizing import InputError, PerfQuestion, PhysicalOptions, Scenario, ServiceOptions, load_catalog, size
from llm_sizing.model.layers import touched_fraction
from llm_sizing.replica import replica_performance
from llm_sizing.stages.latency.engines import EngineTerms

CATALOG = load_catalog()
GIB = 2**30
H200_OPS = json.loads((ROOT / "data" / "measurements" / "h200-sxm-2026-11-28.json").read_text())


def test_touched_experts():
    # 8 experts, 2 per token: 1 token touches 2/8; 2 tokens: 1 - (1 - 2/8)^2 = 0.4375
    assert touched_fraction(8, 2, 1) == pytest.approx(0.25)
    assert touched_fraction(8, 2, 2) == pytest.approx(0.4375)
    assert touched_fraction(0, 0, 100) == 1.0  # dense: all of it


def perf(model="llama-3.1-8b", server="hgx-h100", tp=1, batch=1, input_tokens=1000, output_tokens=1000,
         kv="bf16", mode="closed-loop", engine="vllm", **physical):
    service = ServiceOptions(input_tokens=input_tokens, output_tokens=output_tokens, engine=engine)
    question = PerfQuestion(model=model, server=server, batch=batch, kv_precision=kv, mode=mode,
                            physical=PhysicalOptions(tensor_parallel=tp, **physical), service=service)
    return replica_performance(question, CATALOG)


def h200_decode_step(tp=1):
    """Llama-3.1-8B in bf16 on an H200, one sequence at 4,096 prompt tokens (decode context 4,097)."""
    return perf(server="dgx200", tp=tp, batch=1, input_tokens=4096, output_tokens=2, mode="fixed-batch")


def line(step, name):
    return next(op for op in step.ops if op.name == name)


def test_decode_step_projection_bytes_by_hand():
    step = h200_decode_step().performance.decode_step
    # per layer: weights K x N x 2 B, one token in (K x 2 B) and out (N x 2 B); 32 layers
    # qkv 4096 x 6144: 50,331,648 + 8,192 + 12,288 = 50,352,128 B; x 32 = 1,611,268,096 B
    assert line(step, "qkv_proj").bytes == 1_611_268_096
    # gate_up 4096 x 28672: 234,881,024 + 8,192 + 57,344 = 234,946,560 B; x 32 = 7,518,289,920 B
    assert line(step, "mlp.gate_up").bytes == 7_518_289_920
    # lm_head 4096 x 128256, once: 1,050,673,152 + 8,192 + 256,512 = 1,050,937,856 B
    assert line(step, "lm_head").bytes == 1_050_937_856
    # decode attention reads K and V: 4,097 tokens x 8 KV heads x 128 x 2 (K, V) x 2 B = 16,781,312 B a
    # layer, 536,997,888 B in 32 layers (the query and output rows add 128 B a layer)
    assert line(step, "attention.full_attention").bytes == pytest.approx(536_997_888, rel=1e-4)


def test_a_projection_costs_what_the_h200_measured():
    # the H200 measured x[1, 4096] @ W[4096, 6144] in bf16 at 17.536 us inside a CUDA graph (launch
    # 1.117 us included): the model's qkv operator (32 layers) plus one launch a layer gives it back
    step = h200_decode_step().performance.decode_step
    measured = next(r["us"] for r in H200_OPS["gemm"] if r["shape"] == "l8b.qkv" and r["dtype"] == "bf16"
                    and r["tokens"] == 1)
    per_layer_us = line(step, "qkv_proj").ms / 32 * 1e3 + H200_OPS["launch"]["graph_us_per_tiny_kernel"]
    assert per_layer_us == pytest.approx(measured, rel=0.02)


def test_the_step_is_its_operators_plus_launches_plus_the_engine():
    result = h200_decode_step()
    step, engine = result.performance.decode_step, result.engine
    kernels = sum(op.kernels for op in step.ops)
    assert step.launches_ms == pytest.approx(kernels * 1.1166 / 1e3, rel=1e-3)  # in a CUDA graph
    assert step.kernels_ms == pytest.approx(sum(op.ms for op in step.ops) + step.launches_ms)
    # the engine's CPU share: step overhead + per-sequence cost x 1 sequence
    assert step.overhead_ms == pytest.approx(engine.step_overhead_ms + engine.per_sequence_us / 1e3)
    assert step.total_ms == pytest.approx(step.kernels_ms + step.overhead_ms)


def test_tensor_parallel_all_reduce_by_hand():
    step = h200_decode_step(tp=2).performance.decode_step
    # two all-reduces a layer of 1 token x 4096 x 2 B = 8,192 B; a ring moves 2 (tp-1)/tp x 8,192 B =
    # 8,192 B each way over 450 GB/s per direction (NVLink 900 GB/s) at 80%: 0.0228 us, plus 10 us each
    allreduce = line(step, "attention_allreduce")
    assert allreduce.count == 32
    assert allreduce.ms == pytest.approx(32 * (10 + 8192 / (450e9 * 0.8) * 1e6) / 1e3, rel=1e-3)
    # each GPU streams half of every projection: qkv 4096 x 3072 per GPU
    assert line(step, "qkv_proj").bytes == 32 * (4096 * 3072 * 2 + 4096 * 2 + 3072 * 2)


def test_memory_bound_decode_and_compute_bound_prompt():
    result = perf(server="dgx200", batch=1, input_tokens=8192, output_tokens=16)
    assert result.performance.decode_step.bound == "memory"
    assert result.performance.prefill_step.bound == "compute"


def test_larger_batch_never_faster_per_token_and_more_tokens_per_replica():
    previous = None
    for batch in (1, 8, 64, 256):
        p = perf(batch=batch, input_tokens=1000, output_tokens=1000).performance
        if previous is not None:
            assert p.tpot_ms >= previous.tpot_ms
            assert p.output_tokens_per_s > previous.output_tokens_per_s
        previous = p


@pytest.mark.parametrize("model, server, tp, input_tokens, output_tokens", [
    ("kimi-k2-instruct", "dgx300", 8, 1024, 4),  # prefill-bound: the old fixed-point iteration oscillated here
    ("llama-3.1-8b", "hgx-h100", 1, 1000, 1000),
    ("qwen3-235b-a22b", "dgx200", 4, 8192, 256),
])
def test_closed_loop_latency_never_falls_as_the_batch_grows(model, server, tp, input_tokens, output_tokens):
    # a replica that holds b sessions meets every load up to b: TTFT and TPOT must not dip at some b
    # (the targets' bisection relies on it); the steady state is solved for the cycle, so it does not
    previous = None
    for batch in list(range(1, 33)) + [48, 64, 96, 128, 256]:
        p = perf(model=model, server=server, tp=tp, batch=batch, input_tokens=input_tokens,
                 output_tokens=output_tokens, kv="fp8").performance
        if previous is not None:
            assert p.ttft_ms >= previous.ttft_ms * (1 - 1e-9), batch
            assert p.tpot_ms >= previous.tpot_ms * (1 - 1e-9), batch
        previous = p


def test_the_closed_loop_steady_state_satisfies_its_equations():
    # at the answer: cycle = TTFT + O x TPOT, f = min(0.99, (C / cycle) x I x TPOT / q), and the
    # queue is M/D/1's f / (2 (1 - f)) x S (docs/performance.md); a prefill-bound case (Kimi K2,
    # 1,024 in / 4 out): 16 requests each needing one ~45 ms prompt step cannot start faster than
    # one per prompt step, so the cycle is at least 16 x the prompt step
    p = perf(model="kimi-k2-instruct", server="dgx300", tp=8, batch=16, input_tokens=1024, output_tokens=4,
             kv="fp8").performance
    service = p.prefill_steps * p.prefill_step.total_ms
    assert p.prefill_share < 0.99
    # the queue holds the steady state's wait plus the first wave's (benchmarks start all at once)
    first_wave = p.queue_ms - p.prefill_share / (2 * (1 - p.prefill_share)) * service
    cycle = p.ttft_ms - first_wave + 4 * p.tpot_ms
    assert cycle >= 16 * p.prefill_step.total_ms * 0.95
    assert p.prefill_share == pytest.approx(16 / cycle * 1024 * p.tpot_ms / 1024, rel=1e-3)


def test_closed_loop_throughput_is_the_benchmarks():
    # output tokens per second per replica = C x O / (TTFT + O x TPOT)
    p = perf(batch=32, input_tokens=2000, output_tokens=500).performance
    assert p.output_tokens_per_s == pytest.approx(32 * 500 / ((p.ttft_ms + 500 * p.tpot_ms) / 1e3))


def test_fixed_batch_tpot_is_latency_over_output_tokens():
    # benchmark_latency: B prompts prefilled together, then O decode steps; TPOT = latency / O
    p = perf(batch=8, input_tokens=32, output_tokens=128, mode="fixed-batch").performance
    assert p.tpot_ms == pytest.approx((p.ttft_ms + 128 * p.decode_step.total_ms) / 128)


def test_the_request_overhead_adds_to_ttft():
    from llm_sizing.stages.latency.serving import closed_loop

    result = perf(batch=4, input_tokens=1000, output_tokens=200)
    args = (CATALOG.model("llama-3.1-8b").architecture, result.layout, result.memory.weight_components,
            result.profile)
    bare = closed_loop(*args, EngineTerms("vllm"), 2, 4, 1000, 200, 8192, 450.0)
    served = closed_loop(*args, EngineTerms("vllm", request_overhead_ms=50.0), 2, 4, 1000, 200, 8192, 450.0)
    # 50 ms more per request; the slightly longer cycle lowers the prefill share a little
    assert served.ttft_ms - bare.ttft_ms == pytest.approx(50.0, abs=0.5)
    assert served.tpot_ms <= bare.tpot_ms


def test_engines_differ_by_their_terms_only():
    vllm = perf(server="dgx200", batch=8, engine="vllm")
    trt = perf(server="dgx200", batch=8, engine="trtllm")
    assert vllm.performance.decode_step.kernels_ms == pytest.approx(trt.performance.decode_step.kernels_ms)
    expected = lambda e: e.step_overhead_ms + e.per_sequence_us * 8 / 1e3  # noqa: E731
    assert vllm.performance.decode_step.overhead_ms == pytest.approx(expected(vllm.engine))
    assert trt.performance.decode_step.overhead_ms == pytest.approx(expected(trt.engine))


def test_an_estimated_profile_says_so():
    result = perf(server="mi300x-8", batch=1)
    assert result.profile.status == "estimate" and result.profile.derived_from == "h200-sxm"
    text = cli(["perf", "--model", "llama-3.1-8b", "--server", "mi300x-8", "--batch", "1", "--input-tokens", "10",
                "--output-tokens", "10"]).stdout
    assert "profile mi300x (an estimate from h200-sxm)" in text


def test_the_memory_answer_tells_its_speed():
    # the card's quick start: 613 sessions of 131,072 tokens per DGX B300 node; no target given
    argv = ["--model", "gpt-oss-120b", "--server", "dgx300", "--storage", "profile_default", "--concurrency", "1000",
            "--effective-context", "131072"]
    document = json.loads(cli(argv + ["--json-only"]).stdout)
    packing = document["performance"]["memory_packing"]
    assert packing["sessions_per_replica"] == 613 and packing["context_tokens"] == 131072
    assert packing["tokens_per_s_per_session"] == pytest.approx(1e3 / packing["tpot_ms"])
    slow = [f for f in document["warnings"] if f["code"] == "SLOW_DECODE_AT_MEMORY_PACKING"]
    assert (len(slow) == 1) == (packing["tokens_per_s_per_session"] < 10)
    assert set(document["results"]) >= {"sessions_per_node", "nodes_final"}
    text = cli(argv).stdout
    assert "decode at the memory packing (613 sessions per replica of 131,072 tokens)" in text


def test_perf_json_carries_the_operators():
    argv = ["perf", "--model", "llama-3.1-8b", "--server", "dgx200", "--batch", "16", "--input-tokens", "1024",
            "--output-tokens", "256", "--json-only"]
    p = json.loads(cli(argv).stdout)["performance"]
    assert p["profile"]["name"] == "h200-sxm" and p["profile"]["source"]
    for step in (p["decode_step"], p["prefill"]):
        assert {"ops", "kernels_ms", "overhead_ms", "total_ms"} <= set(step)
        assert {"name", "bytes", "flops", "ms", "bound", "efficiency"} <= set(step["ops"][0])
        assert step["total_ms"] == pytest.approx(step["kernels_ms"] + step["overhead_ms"])


def scenario(**service):
    return Scenario(model="gpt-oss-120b", server="dgx300", storage="profile_default", concurrency=1000,
                    effective_context=131072, service=ServiceOptions(**service))


def test_targets_that_memory_meets_leave_the_seed_numbers():
    sizing = size(scenario(input_tokens=8000, output_tokens=1000, target_tpot_ms=1000), CATALOG)
    assert (sizing.results.sessions_per_node, sizing.results.nodes_final) == (613, 2)
    assert sizing.results.binding_constraint == "memory"
    assert sizing.results.nodes_for_slo <= sizing.results.nodes_for_memory


def test_a_tight_target_adds_nodes_and_binds():
    sizing = size(scenario(input_tokens=8000, output_tokens=1000, target_tpot_ms=10), CATALOG)
    r = sizing.results
    assert r.binding_constraint == "latency"
    assert r.nodes_final == r.nodes_for_slo > r.nodes_for_memory
    batch = r.slo_batch_per_replica
    # the chosen batch meets the target and one more session does not
    assert sizing.latency.slo.performance.tpot_ms <= 10
    assert sizing.latency.slo.sessions_per_node == batch  # under the seed's rule: one replica (TP8) per node
    over = perf("gpt-oss-120b", "dgx300", tp=8, batch=batch + 1, input_tokens=8000, output_tokens=1000, kv="fp8")
    assert over.performance.tpot_ms > 10
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
    for key in ("ttft_ms", "tpot_ms", "output_tokens_per_s", "output_tokens_per_s_per_session"):
        assert key in p
    # per replica C x O / (TTFT + O x TPOT); per session 1 / TPOT
    assert p["output_tokens_per_s"] == pytest.approx(64 * 1024 / ((p["ttft_ms"] + 1024 * p["tpot_ms"]) / 1e3))
    assert p["output_tokens_per_s_per_session"] == pytest.approx(1e3 / p["tpot_ms"])


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
            "--target-tpot-ms", "10", "--json-only"]
    document = json.loads(cli(argv).stdout)
    assert document["results"]["binding_constraint"] == "latency"
    assert document["performance"]["slo"]["batch_per_replica"] == document["results"]["slo_batch_per_replica"]


def test_pipeline_parallel_is_no_faster_per_token():
    # a token crosses the 8 stages in turn: the same bytes and FLOPs as one group of all the layers,
    # plus 7 hand-offs of 8 tokens x 8,192 x 2 B = 131,072 B: 10 us + 131,072 B / (450 GB/s x 0.8)
    # = 10.364 us each, and a launch in the graph (1.1166 us) each
    one = perf("llama-3.3-70b-instruct", batch=8, input_tokens=1000, output_tokens=100, mode="fixed-batch")
    eight = perf("llama-3.3-70b-instruct", batch=8, input_tokens=1000, output_tokens=100, pipeline_parallel=8,
                 mode="fixed-batch")
    handoff_ms = (10 + 131_072 / (450e9 * 0.8) * 1e6 + 1.1166) / 1e3
    assert eight.performance.decode_step.total_ms == pytest.approx(one.performance.decode_step.total_ms
                                                                   + 7 * handoff_ms, rel=1e-4)


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
                   "latency targets need a performance profile: server 'bare8'")


def test_perf_takes_the_checkpoint_size_for_a_model_it_cannot_count():
    # gemma-4-26b-a4b's MoE block layout cannot be counted from its config: perf says to give
    # --weights-gib, and with it evaluates the replica; TP1 holds the whole 48 GiB on its one GPU
    argv = ["perf", "--model", "gemma-4-26b-a4b", "--server", "hgx-h100", "--batch", "8", "--input-tokens", "1000",
            "--output-tokens", "100"]
    one_line_error(argv, "--weights-gib")
    done = cli(argv + ["--weights-gib", "48", "--json-only"])
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["memory"]["weights_gib_per_gpu"] == 48.0
    assert document["performance"]["tpot_ms"] > 0


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
