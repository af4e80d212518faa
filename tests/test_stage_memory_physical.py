"""The physical memory model (stages/memory/physical.py, layout.py): per-GPU weights, layouts, the
KV pool, replicas, `--tensor-parallel auto`, and its JSON and command lines."""

import json
from fractions import Fraction

import pytest

from conftest import cli, one_line_error
from llm_sizing import InputError, PhysicalOptions, Scenario, load_catalog, size
from llm_sizing.model.parameters import count_parameters
from llm_sizing.model.weights import weight_bytes
from llm_sizing.stages.memory.layout import Layout, per_gpu_weight_bytes

CATALOG = load_catalog()
GIB = 2**30
BASE = ["--storage", "profile_default", "--concurrency", "10", "--effective-context", "8192"]


def test_per_gpu_weights_tensor_parallel_by_hand():
    # Llama 3.1 8B bf16, TP2: embeddings, lm_head, attention, K/V and MLP halve (8 KV heads >= 2);
    # only the norms (266,240 parameters) stay whole: (8,030,261,248 - 266,240) / 2 + 266,240 parameters x 2 B
    arch = CATALOG.model("llama-3.1-8b").architecture
    items = weight_bytes(count_parameters(arch).components, arch.checkpoint_format())
    per_gpu = per_gpu_weight_bytes(items, Layout(tensor_parallel=2), 32, 0)
    assert per_gpu == 2 * (Fraction(8_030_261_248 - 266_240, 2) + 266_240)


def physical(model, server="hgx-h100", concurrency=100, context=16000, **options):
    scenario = Scenario(model=model, server=server, storage="profile_default", concurrency=concurrency,
                        effective_context=context, kv_precision="bf16", memory_model="physical",
                        physical=PhysicalOptions(**options))
    return size(scenario, CATALOG)


def test_impossible_layouts_are_refused_with_the_reason():
    with pytest.raises(InputError, match="tensor parallel 3 does not divide the 32 attention heads"):
        physical("llama-3.1-8b", tensor_parallel=3)
    with pytest.raises(InputError, match="does not fit a node of 8 GPUs"):
        physical("llama-3.1-8b", tensor_parallel=8, pipeline_parallel=2)
    with pytest.raises(InputError, match="data-parallel attention is for MoE models"):
        physical("llama-3.1-8b", data_parallel=2)


def test_kv_pool_by_hand_with_given_reserve():
    # Llama 3.1 8B on H100 (79.18 GiB), util 0.9, reserve given as 5 GiB, bf16 weights 14.957 GiB:
    # pool = 79.18 x 0.9 - 16,060,522,496 B / 2^30 - 5 GiB; a 16,000-token session needs cdiv(16000, 16) = 1,000
    # blocks; one block holds 32 layers x 16 tokens x 8 KV heads x (128 + 128) x 2 B (bf16) = 2,097,152 B
    sizing = physical("llama-3.1-8b", activation_peak_gib=5, non_torch_gib=0, cuda_graphs_gib=0)
    plan = sizing.memory.plan
    pool = Fraction(7918, 100) * Fraction(9, 10) * GIB - 16_060_522_496 - 5 * GIB
    assert plan.kv_pool_bytes_per_gpu == pool
    blocks = int(pool // 2_097_152)
    assert plan.num_blocks_per_gpu == blocks
    assert sizing.results.max_concurrency == blocks / 1000
    assert sizing.results.kv_cache_tokens == blocks * 16
    # 8 replicas of one GPU per node, each min(floor(concurrency), max_num_seqs 1024) sessions
    assert sizing.results.sessions_per_node == 8 * min(blocks // 1000, 1024)
    # the node's pool: 8 GPUs' pools
    assert sizing.memory.kv_pool_bytes_per_node == 8 * pool


def test_kv_cache_memory_given_directly():
    sizing = physical("llama-3.1-8b", kv_cache_memory_gib=10)
    # 10 GiB / 2,097,152 B per block = 5,120 blocks; 5,120 / 1,000 = 5.12 sessions of 16,000 tokens
    assert sizing.memory.plan.num_blocks_per_gpu == 5_120
    assert sizing.results.max_concurrency == 5.12
    assert sizing.results.reserve_gib_per_gpu is None


def test_max_num_seqs_caps_a_replica():
    sizing = physical("llama-3.1-8b", context=1000, max_num_seqs=64)
    assert sizing.memory.plan.sessions_per_replica == 64
    assert "MAX_NUM_SEQS_BINDS" in {f.code for f in sizing.findings}


def test_auto_layout_picks_fewest_nodes_then_fewest_gpus():
    sizing = physical("qwen3-32b", concurrency=2000, tensor_parallel="auto")
    tried = {o.plan.layout.tensor_parallel: o.capacity.nodes_final for o in sizing.memory.alternatives}
    best = min(tried.values())
    assert sizing.results.nodes_final == best
    assert sizing.memory.layout.tensor_parallel == min(tp for tp, nodes in tried.items() if nodes == best)
    assert sizing.memory.most_sessions_per_node == max(o.plan.sessions_per_node for o in sizing.memory.alternatives)


def test_auto_keeps_data_parallel_and_expert_parallel():
    sizing = size(Scenario(model="deepseek-v3", server="dgx300", storage="profile_default", concurrency=100,
                           effective_context=8192, memory_model="physical",
                           physical=PhysicalOptions(tensor_parallel="auto", data_parallel=8, expert_parallel=True)),
                  CATALOG)
    assert {(o.plan.layout.data_parallel, o.plan.layout.expert_parallel) for o in sizing.memory.alternatives} == \
        {(8, True)}


def test_seed_numbers_unchanged_by_default():
    sizing = size(Scenario(model="opt-oss-120b", server="dgx300", storage="profile_default", concurrency=1000,
                           effective_context=131072), CATALOG)
    assert (sizing.results.sessions_per_node, sizing.results.nodes_final) == (613, 2)
    assert sizing.memory.name == "seed" and sizing.results.weights_gib_per_gpu is None


def test_weights_gib_rescues_a_model_whose_parameters_cannot_be_counted():
    sizing = physical("gemma-4-26b-a4b", server="dgx300", concurrency=10, context=8192, weights_gib=48)
    assert sizing.results.weights_gib_per_gpu == 48.0
    with pytest.raises(Exception, match="enable_moe_block"):
        physical("gemma-4-26b-a4b", server="dgx300", concurrency=10, context=8192)


def test_physical_from_the_cli():
    argv = ["--model", "gpt-oss-120b", "--server", "dgx300", "--storage", "profile_default", "--concurrency", "1000",
            "--effective-context", "131072", "--memory-model", "physical", "--tensor-parallel", "auto", "--json-only"]
    done = cli(argv)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    for key in ("weights_gib_per_gpu", "reserve_gib_per_gpu", "kv_pool_gib_per_gpu", "kv_cache_tokens",
                "max_concurrency", "sessions_per_node", "nodes_final"):
        assert key in document["results"], key
    commands = document["physical"]["commands"]
    assert commands["vllm"].startswith("vllm serve openai/gpt-oss-120b --tensor-parallel-size ")
    for flag in ("--max-model-len 131072", "--kv-cache-dtype fp8", "--gpu-memory-utilization 0.9", "--max-num-seqs"):
        assert flag in commands["vllm"]
    assert "sglang.launch_server" in commands["sglang"]
    assert len(document["physical"]["alternatives"]) == 4  # TP 1, 2, 4, 8


def test_physical_json_memory_block_is_the_physical_pool():
    argv = ["--model", "gpt-oss-120b", "--server", "hgx-h100", *BASE, "--memory-model", "physical",
            "--tensor-parallel", "2", "--json-only"]
    document = json.loads(cli(argv).stdout)
    memory = document["memory"]
    assert memory["rule"] == "physical" and "runtime_overhead_gib" not in memory
    assert memory["kv_budget_bytes"] / 2**30 == pytest.approx(document["results"]["kv_budget_gib"], rel=1e-9)


def test_weights_that_do_not_fit_are_named_and_no_command_is_printed():
    argv = ["--model", "llama-3.1-405b", "--server", "hgx-h100", *BASE, "--memory-model", "physical",
            "--tensor-parallel", "8", "--json-only"]
    done = cli(argv)
    assert done.returncode == 1
    document = json.loads(done.stdout)
    codes = [w["code"] for w in document["warnings"]]
    assert "PHYSICAL_NO_KV_ROOM" in codes and "HBM_BUDGET_INSUFFICIENT" not in codes
    assert document["physical"]["commands"] is None


def test_physical_flags_need_the_physical_model():
    one_line_error(["--model", "gpt-oss-20b", "--server", "dgx300", *BASE, "--tensor-parallel", "2"],
                   "--tensor-parallel needs --memory-model physical")


def test_seed_flags_are_refused_under_the_physical_model():
    one_line_error(["--model", "gpt-oss-20b", "--server", "hgx-h100", *BASE, "--memory-model", "physical",
                    "--runtime-overhead-gib", "500"], "belong to the seed's rule")
