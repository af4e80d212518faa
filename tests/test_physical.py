"""The physical memory model: parameter counts, weight formats, layouts, the reserve, and the
published vLLM start-up figures (tests/fixtures/vllm_startup_rows.json, docs/validation.md)."""

import json
import sys
from fractions import Fraction

import pytest

from conftest import FIXTURES, ROOT, run_entry
from llm_sizing import InputError, Scenario, load_catalog, size
from llm_sizing.kv import FullAttention, MlaLatent, RecurrentState
from llm_sizing.layout import Layout, per_gpu_weight_bytes, shard_spec
from llm_sizing.parameters import count_parameters
from llm_sizing.scenario import PhysicalOptions
from llm_sizing.weights import FORMATS, read_checkpoint_format, weight_bytes

sys.path.insert(0, str(ROOT / "scripts"))
import validation  # noqa: E402

CATALOG = load_catalog()
GIB = 2**30
ROWS = json.loads((FIXTURES / "vllm_startup_rows.json").read_text())


def params(name):
    model = CATALOG.model(name)
    return count_parameters(model.config, model.architecture, name)


# published totals: model.safetensors.index.json metadata.total_size of the bf16 checkpoints / 2 bytes
@pytest.mark.parametrize("name,total", [
    ("llama-3.1-8b", 16_060_522_496 // 2),         # total_size 16,060,522,496
    ("llama-3.3-70b-instruct", 141_107_412_992 // 2),  # total_size 141,107,412,992
    ("qwen3-8b", 16_381_470_720 // 2),             # total_size 16,381,470,720
    ("qwen3-32b", 65_524_246_528 // 2),            # total_size 65,524,246,528
    ("qwen3-235b-a22b", 470_187_269_120 // 2),     # total_size 470,187,269,120
    ("mixtral-8x7b", 93_405_585_408 // 2),         # total_size 93,405,585,408
])
def test_parameter_count_matches_the_published_checkpoint(name, total):
    assert params(name).total == total


def test_gpt_oss_components_match_the_model_card():
    # gpt-oss model card (arXiv 2508.10925) Table 1: MLP 114.71B, Attention 0.96B, Embed + Unembed 1.16B,
    # total 116.83B (120b); 19.12B / 0.64B / 1.16B / 20.91B (20b)
    for name, mlp, attention, total in (("gpt-oss-120b", 114.71, 0.96, 116.83), ("gpt-oss-20b", 19.12, 0.64, 20.91)):
        parts = params(name).by_name()
        assert round((parts["experts"] + parts["expert_biases"] + parts["router"]) / 1e9, 2) == mlp
        assert round((parts["attention"] + parts["attention_kv"]) / 1e9, 2) == attention
        assert round((parts["embeddings"] + parts["lm_head"]) / 1e9, 2) == 1.16
        assert round(params(name).total / 1e9, 2) == total


@pytest.mark.parametrize("name,published_gib", [("gpt-oss-120b", 60.8), ("gpt-oss-20b", 12.8)])
def test_gpt_oss_checkpoint_size_within_3_percent(name, published_gib):
    # experts in MXFP4 (17 bytes per 32 values), everything else bf16; model card: 60.8 / 12.8 GiB
    model = CATALOG.model(name)
    total = sum(item.bytes for item in weight_bytes(params(name), read_checkpoint_format(model.config)))
    assert abs(float(total) / GIB - published_gib) / published_gib < 0.03
    # by hand (120b): 114,661,785,600 expert weights x 17/32 + 2,167,371,072 other parameters x 2 B
    if name == "gpt-oss-120b":
        assert total == Fraction(114_661_785_600 * 17, 32) + 2 * (116_829_156_672 - 114_661_785_600)


def test_format_bits_per_parameter():
    assert FORMATS["mxfp4"].bits_per_param == Fraction(17, 4)          # 4 + 8 / 32
    assert FORMATS["nvfp4"].bits_per_param == Fraction(9, 2)           # 4 + 8 / 16
    assert FORMATS["fp8-block"].bits_per_param == 8 + Fraction(32, 16384)  # one fp32 per 128 x 128
    assert FORMATS["int4-awq"].bits_per_param == 4 + Fraction(20, 128)  # fp16 scale + 4-bit zero per 128


def test_checkpoint_formats_read_from_the_config():
    assert read_checkpoint_format(CATALOG.model("deepseek-v3").config).quantized.name == "fp8-block"
    fp8 = CATALOG.model("llama-3.1-70b-instruct-fp8")
    assert read_checkpoint_format(fp8.config, fp8.hf_quant_config).quantized.name == "fp8"
    assert read_checkpoint_format(CATALOG.model("llama-3.1-8b").config).quantized.name == "bf16"
    awq = {"torch_dtype": "float16", "quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 64}}
    assert read_checkpoint_format(awq).quantized.bits_per_param == 4 + Fraction(20, 64)


def test_unsupported_quantization_is_refused():
    from llm_sizing.errors import ArchitectureError

    with pytest.raises(ArchitectureError, match="quant_method 'bitsandbytes' is not supported"):
        read_checkpoint_format({"quantization_config": {"quant_method": "bitsandbytes"}})


def test_per_gpu_weights_tensor_parallel_by_hand():
    # Llama 3.1 8B bf16, TP2: embeddings, lm_head, attention, K/V and MLP halve (8 KV heads >= 2);
    # only the norms (266,240 parameters) stay whole: (8,030,261,248 - 266,240) / 2 + 266,240 parameters x 2 B
    model = CATALOG.model("llama-3.1-8b")
    items = weight_bytes(params("llama-3.1-8b"), read_checkpoint_format(model.config))
    per_gpu = per_gpu_weight_bytes(items, Layout(tensor_parallel=2), 8, 32, 0)
    assert per_gpu == 2 * (Fraction(8_030_261_248 - 266_240, 2) + 266_240)


def test_kv_heads_split_then_replicated():
    spec = FullAttention(8, 128, 128)
    assert shard_spec(spec, 2).num_kv_heads == 4
    assert shard_spec(spec, 8).num_kv_heads == 1
    assert shard_spec(FullAttention(4, 128, 128), 8).num_kv_heads == 1  # replicated beyond the 4 heads
    assert shard_spec(MlaLatent(512, 64), 8) == MlaLatent(512, 64)       # the latent is whole on every rank
    state = RecurrentState("mamba2", (("conv", 61_440, 2), ("ssm", 4_194_304, 2)))
    assert shard_spec(state, 8).state_bytes == (7_680 + 524_288) * 2    # split by heads


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
    pool = Fraction(7918, 100) * Fraction(9, 10) * GIB - 16_060_522_496 - 5 * GIB
    assert sizing.physical.kv_pool_bytes_per_gpu == pool
    blocks = int(pool // 2_097_152)
    assert sizing.physical.num_blocks_per_gpu == blocks
    assert sizing.results.max_concurrency == blocks / 1000
    assert sizing.results.kv_cache_tokens == blocks * 16
    # 8 replicas of one GPU per node, each min(floor(concurrency), max_num_seqs 1024) sessions
    assert sizing.results.sessions_per_node == 8 * min(blocks // 1000, 1024)


def test_kv_cache_memory_given_directly():
    sizing = physical("llama-3.1-8b", kv_cache_memory_gib=10)
    # 10 GiB / 2,097,152 B per block = 5,120 blocks; 5,120 / 1,000 = 5.12 sessions of 16,000 tokens
    assert sizing.physical.num_blocks_per_gpu == 5_120
    assert sizing.results.max_concurrency == 5.12
    assert sizing.results.reserve_gib_per_gpu is None


def test_max_num_seqs_caps_a_replica():
    sizing = physical("llama-3.1-8b", context=1000, max_num_seqs=64)
    assert sizing.physical.sessions_per_replica == 64
    assert "MAX_NUM_SEQS_BINDS" in {f.code for f in sizing.findings}


def test_auto_layout_picks_fewest_nodes_then_fewest_gpus():
    sizing = physical("qwen3-32b", concurrency=2000, tensor_parallel="auto")
    tried = {alt.layout.tensor_parallel: cap.nodes_final for alt, cap in sizing.layout_alternatives}
    best = min(tried.values())
    assert sizing.results.nodes_final == best
    assert sizing.physical.layout.tensor_parallel == min(tp for tp, nodes in tried.items() if nodes == best)


def test_seed_numbers_unchanged_by_default():
    sizing = size(Scenario(model="opt-oss-120b", server="dgx300", storage="profile_default", concurrency=1000,
                           effective_context=131072), CATALOG)
    assert (sizing.results.sessions_per_node, sizing.results.nodes_final) == (613, 2)
    assert sizing.physical is None and sizing.results.weights_gib_per_gpu is None


@pytest.mark.parametrize("row", ROWS["first_principles"], ids=lambda r: r["id"])
def test_first_principles_against_published_startup_figures(row):
    weights, kv = validation.predict_first_principles(row, CATALOG)
    reported = row["reported"]
    if "weights_gib" in reported:  # "Model loading took" within 3%
        assert abs(weights - reported["weights_gib"]) / reported["weights_gib"] < 0.03
    bound = row.get("kv_bound", {"relative": 0.10})
    if "relative" in bound:
        assert abs(kv - reported["available_kv_gib"]) / abs(reported["available_kv_gib"]) < bound["relative"]
    elif "absolute_gib" in bound:
        assert abs(kv - reported["available_kv_gib"]) < bound["absolute_gib"]
    else:
        assert bound["excluded"]  # shown in docs/validation.md with the reason


@pytest.mark.parametrize("row", ROWS["given_kv_memory"], ids=lambda r: r["id"])
def test_tokens_and_concurrency_from_the_reported_kv_memory(row):
    tokens, concurrency = validation.predict_given_kv(row, CATALOG)
    assert abs(tokens - row["reported"]["kv_cache_tokens"]) / row["reported"]["kv_cache_tokens"] < 0.01
    assert abs(concurrency - row["reported"]["max_concurrency"]) / row["reported"]["max_concurrency"] < 0.01


def test_validation_doc_is_current():
    document = (ROOT / "docs" / "validation.md").read_text()
    for table in validation.table().split("\n\n"):
        assert table.strip() in document, "docs/validation.md is stale: python3 scripts/regen_docs.py"


def test_physical_from_the_cli():
    argv = ["--model", "gpt-oss-120b", "--server", "dgx300", "--storage", "profile_default", "--concurrency", "1000",
            "--effective-context", "131072", "--memory-model", "physical", "--tensor-parallel", "auto", "--json-only"]
    done = run_entry(argv)
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


def test_physical_flags_need_the_physical_model():
    done = run_entry(["--model", "gpt-oss-20b", "--server", "dgx300", "--storage", "profile_default",
                      "--concurrency", "10", "--effective-context", "1000", "--tensor-parallel", "2"])
    assert done.returncode == 2 and "--tensor-parallel needs --memory-model physical" in done.stderr
