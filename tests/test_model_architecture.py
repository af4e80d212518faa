"""Every reference config (tests/fixtures/hf-configs, copied from the models' Hugging Face
config.json) is read into per-layer KV specs whose bytes per session match a hand derivation,
at two context lengths (1,000 and 100,000 tokens), KV in fp8 (1 byte per element) unless noted."""

import json

import pytest

from conftest import HF
from llm_sizing.errors import ArchitectureError
from llm_sizing.model.architecture import CLASS_TRAITS, read_architecture
from llm_sizing.stages.kv import ideal_account


def arch(directory):
    return read_architecture(json.loads((HF / directory / "config.json").read_text()), directory)


# (config directory, bytes per session at 1,000 tokens, at 100,000 tokens), fp8 KV
CASES = [
    # gpt-oss-120b: 8 KV heads x (64 + 64) x 1 B = 1,024 B per token per layer; window 128
    #   1k:   18 x 1,000 x 1,024 + 18 x 128 x 1,024 = 18,432,000 + 2,359,296
    #   100k: 18 x 100,000 x 1,024 + 2,359,296 = 1,843,200,000 + 2,359,296
    ("openai--gpt-oss-120b", 20_791_296, 1_845_559_296),
    # gpt-oss-20b: 12 full + 12 sliding: 12,288,000 + 1,572,864; 1,228,800,000 + 1,572,864
    ("openai--gpt-oss-20b", 13_860_864, 1_230_372_864),
    # Llama 3.1 8B: 32 layers x 8 KV heads x (128 + 128) x 1 B = 65,536 B per token (head_dim 4096/32)
    ("meta-llama--Meta-Llama-3.1-8B", 65_536_000, 6_553_600_000),
    # Llama 3.1 405B: 126 layers x 8 x 256 = 258,048 B per token (head_dim 16384/128 = 128)
    ("meta-llama--Meta-Llama-3.1-405B", 258_048_000, 25_804_800_000),
    # Llama 3.1 70B (NVIDIA FP8 checkpoint): 80 x 8 x 256 = 163,840 B per token
    ("nvidia--Llama-3.1-70B-Instruct-FP8", 163_840_000, 16_384_000_000),
    # Llama 4 Scout: 48 layers, 8 KV heads x 256 = 2,048 B per token per layer; every 4th layer global
    #   (12), the other 36 chunked at 8,192 tokens. 1k: 48 x 1,000 x 2,048
    #   100k: 12 x 100,000 x 2,048 + 36 x 8,192 x 2,048 = 2,457,600,000 + 603,979,776
    ("meta-llama--Llama-4-Scout-17B-16E-Instruct", 98_304_000, 3_061_579_776),
    # Qwen3 235B-A22B (and its FP8 checkpoint): 94 layers x 4 KV heads x 256 = 96,256 B per token
    ("Qwen--Qwen3-235B-A22B", 96_256_000, 9_625_600_000),
    ("Qwen--Qwen3-235B-A22B-FP8", 96_256_000, 9_625_600_000),
    # Qwen3-VL-32B (text_config): 64 layers x 8 x 256 = 131,072 B per token
    ("Qwen--Qwen3-VL-32B-Instruct", 131_072_000, 13_107_200_000),
    # Qwen3.5-27B: 16 full layers x 4 KV heads x (256 + 256) = 2,048 B per token per layer;
    #   48 Gated DeltaNet layers: conv (4 - 1) x (128 x 16 x 2 + 128 x 48) = 30,720 x 2 B (bf16) = 61,440 B,
    #   state 48 x 128 x 128 = 786,432 x 4 B (mamba_ssm_dtype float32) = 3,145,728 B; x 48 = 153,944,064 B
    #   1k: 16 x 1,000 x 2,048 + 153,944,064; 100k: 3,276,800,000 + 153,944,064
    ("Qwen--Qwen3.5-27B", 186_712_064, 3_430_744_064),
    # DeepSeek V3 and Kimi K2 (MLA): 61 layers x (512 + 64) x 1 B = 35,136 B per token
    ("deepseek-ai--DeepSeek-V3", 35_136_000, 3_513_600_000),
    ("moonshotai--Kimi-K2-Instruct", 35_136_000, 3_513_600_000),
    # DeepSeek V3.2: + indexer 128 + 128/128 x 4 = 132 B per token per layer: 61 x (576 + 132) = 43,188 B
    ("deepseek-ai--DeepSeek-V3.2", 43_188_000, 4_318_800_000),
    # Mixtral 8x7B: 32 layers x 8 x 256 = 65,536 B per token (sliding_window null: all full)
    ("mistralai--Mixtral-8x7B-v0.1", 65_536_000, 6_553_600_000),
    # Nemotron-H 56B: pattern has 10 '*' attention layers x 8 x 256 = 20,480 B per token, and 54 'M'
    #   Mamba2 layers: conv (4 - 1) x (256 x 64 + 2 x 8 x 256) = 61,440 x 2 B = 122,880 B,
    #   state 256 x 64 x 256 = 4,194,304 x 4 B = 16,777,216 B (float32: the config names no
    #   mamba_ssm_cache_dtype, and vLLM's NemotronHForCausalLMConfig then uses float32, as transformers'
    #   NemotronHConfig does); 16,900,096 B x 54 = 912,605,184 B
    ("nvidia--Nemotron-H-56B-Base-8K", 20_480_000 + 912_605_184, 2_048_000_000 + 912_605_184),
    # Gemma 4 26B-A4B: 25 sliding layers x 8 KV heads x (256 + 256) = 4,096 B per token, window 1,024;
    #   5 global layers: global_head_dim 512, attention_k_eq_v so num_global_key_value_heads 2:
    #   2 x (512 + 512) = 2,048 B per token. 1k: 25 x 1,000 x 4,096 + 5 x 1,000 x 2,048
    #   100k: 25 x 1,024 x 4,096 + 5 x 100,000 x 2,048 = 104,857,600 + 1,024,000,000
    ("google--gemma-4-26B-A4B", 102_400_000 + 10_240_000, 1_128_857_600),
    # Kimi Linear 48B-A3B: linear_attn_config full_attn_layers (1-based) 4, 8, ..., 24, 27: 7 MLA layers x
    #   (512 + 64) x 1 B = 4,032 B per token; the 20 kda_layers keep, per session, a conv state of
    #   (4 - 1) x 3 x 32 heads x 128 = 36,864 x 2 B (bf16) = 73,728 B and a recurrent state of 32 x 128 x 128
    #   = 524,288 x 4 B (float32, vLLM's KDA default) = 2,097,152 B: 20 x 2,170,880 = 43,417,600 B
    ("moonshotai--Kimi-Linear-48B-A3B-Instruct", 4_032_000 + 43_417_600, 403_200_000 + 43_417_600),
    # Kimi K3 (text_config): 24 MLA layers x 576 = 13,824 B per token; 69 KDA layers of 96 heads x 128:
    #   conv 3 x 3 x 12,288 x 2 B = 221,184 B + state 96 x 128 x 128 x 4 B = 6,291,456 B: 69 x 6,512,640
    ("moonshotai--Kimi-K3", 13_824_000 + 449_372_160, 1_382_400_000 + 449_372_160),
    # Nemotron 3 Nano 30B-A3B (hybrid_override_pattern): 6 '*' layers x 2 KV heads x (128 + 128) x 1 B =
    #   3,072 B per token; 23 'M' layers: conv (4 - 1) x (64 x 64 + 2 x 8 x 128) = 18,432 x 2 B = 36,864 B,
    #   state 64 x 64 x 128 = 524,288 x 4 B (mamba_ssm_cache_dtype float32) = 2,097,152 B: 23 x 2,134,016
    ("nvidia--NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", 3_072_000 + 49_082_368, 307_200_000 + 49_082_368),
    # Nemotron 3.5 Lightning (layers_block_type with the same 52 layers and shapes as Nano)
    ("nvidia--NVIDIA-Nemotron-3.5-Lightning-30B-A3B-NVFP4", 3_072_000 + 49_082_368, 307_200_000 + 49_082_368),
    # Nemotron 3 Ultra 550B-A55B: layers_block_type of 108 (no num_hidden_layers): 12 attention x 512 =
    #   6,144 B per token; 48 mamba: conv 3 x (256 x 64 + 2 x 8 x 128) = 55,296 x 2 B = 110,592 B,
    #   state 256 x 64 x 128 x 4 B = 8,388,608 B: 48 x 8,499,200 = 407,961,600 B
    ("nvidia--NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16", 6_144_000 + 407_961_600, 614_400_000 + 407_961_600),
    # Llama-3.3-Nemotron-Super-49B (block_configs): 49 attention blocks with n_heads_in_group 8 ->
    #   64 / 8 = 8 KV heads x 256 x 1 B = 2,048 B; 31 no_op blocks keep nothing: 100,352 B per token
    ("nvidia--Llama-3_3-Nemotron-Super-49B-v1", 100_352_000, 10_035_200_000),
    # GLM-5 (DeepSeek sparse attention, an indexer on every layer): 78 x (576 + 132) = 55,224 B per token
    ("zai-org--GLM-5", 55_224_000, 5_522_400_000),
    # GLM-5.2: indexer_types "full" on 21 layers (index_topk_freq 4, offset 3: layers 0-2, 6, 10, ..., 74):
    #   78 x 576 + 21 x 132 = 44,928 + 2,772 = 47,700 B per token; the NVFP4 copy names the layers
    #   deepseek_sparse_attention in layer_types, the same cache
    ("zai-org--GLM-5.2", 47_700_000, 4_770_000_000),
    ("nvidia--GLM-5.2-NVFP4", 47_700_000, 4_770_000_000),
    # MiniMax M3: 60 layers x 4 KV heads x 256 x 1 B = 61,440 B per token; the 57 sparse layers
    #   (sparse_attention_freq 1) add a 128-wide index key in bf16 (vLLM's default): 57 x 256 = 14,592 B
    ("nvidia--MiniMax-M3-NVFP4", 76_032_000, 7_603_200_000),
    # MiniMax M2.7: 62 layers x 8 KV heads x 256 x 1 B = 126,976 B per token
    ("MiniMaxAI--MiniMax-M2.7", 126_976_000, 12_697_600_000),
]


def test_every_reference_config_is_covered():
    assert sorted(case[0] for case in CASES) == sorted(p.name for p in HF.iterdir() if p.is_dir())


@pytest.mark.parametrize("directory,at_1k,at_100k", CASES)
def test_reference_config_bytes_per_session(directory, at_1k, at_100k):
    model = arch(directory)
    assert ideal_account(model.caches, 1_000, 1).bytes_per_session == at_1k
    assert ideal_account(model.caches, 100_000, 1).bytes_per_session == at_100k


def test_bf16_doubles_attention_but_not_recurrent_state():
    # Qwen3.5-27B at 1k in bf16: attention 2 x 32,768,000 = 65,536,000; state unchanged 153,944,064
    assert ideal_account(arch("Qwen--Qwen3.5-27B").caches, 1_000, 2).bytes_per_session == 65_536_000 + 153_944_064


def test_layer_counts_by_kind():
    assert arch("nvidia--Nemotron-H-56B-Base-8K").layer_counts() == \
        {"recurrent_state": 54, "no_kv_cache": 54, "full_attention": 10}
    assert arch("google--gemma-4-26B-A4B").layer_counts() == {"sliding_attention": 25, "full_attention": 5}
    assert arch("deepseek-ai--DeepSeek-V3.2").layer_counts() == {"mla_latent+sparse_indexer": 61}


def test_default_taken_from_the_config_class_is_reported():
    # Llama 4 Scout's config.json has no no_rope_layers: transformers' default (every 4th layer NoPE)
    assert any("no_rope_layers" in a for a in arch("meta-llama--Llama-4-Scout-17B-16E-Instruct").assumptions)
    assert arch("openai--gpt-oss-120b").assumptions == ()


def test_kv_shared_layers_add_nothing():
    # Gemma-style: 6 layers, the last 2 reuse earlier caches; 4 full layers x 2 KV heads x 256 x 1 B at 10 tokens
    config = {"num_hidden_layers": 6, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 128,
              "hidden_size": 512, "max_position_embeddings": 4096, "num_kv_shared_layers": 2}
    model = read_architecture(config)
    assert model.layer_counts() == {"full_attention": 4, "shared_kv": 2}
    assert ideal_account(model.caches, 10, 1).bytes_per_session == 4 * 10 * 2 * 256


def test_qwen3_next_layer_types_from_full_attention_interval():
    # no layer_types: every 4th of 48 layers is full attention (12), the rest Gated DeltaNet (36)
    config = {"num_hidden_layers": 48, "num_attention_heads": 16, "num_key_value_heads": 2, "head_dim": 256,
              "hidden_size": 2048, "max_position_embeddings": 262144, "full_attention_interval": 4,
              "linear_num_key_heads": 16, "linear_num_value_heads": 32, "linear_key_head_dim": 128,
              "linear_value_head_dim": 128, "linear_conv_kernel_dim": 4, "torch_dtype": "bfloat16"}
    model = read_architecture(config)
    assert model.layer_counts() == {"recurrent_state": 36, "full_attention": 12}
    # state per layer: conv 3 x (128 x 16 x 2 + 128 x 32) = 24,576 x 2 B + 32 x 128 x 128 x 2 B = 1,097,728 B
    states = {spec.state_bytes for caches in model.caches for spec in caches if spec.kind == "recurrent_state"}
    assert states == {1_097_728}


@pytest.mark.parametrize("change,missing", [
    ({"num_key_value_heads": None}, "num_key_value_heads"),
    ({"sliding_window": None}, "sliding_window"),
    ({"max_position_embeddings": None}, "max_position_embeddings"),
    ({"layer_types": ["sliding_attention", "mystery"] * 12}, "mystery"),
])
def test_refused_with_the_missing_fields_named(change, missing):
    config = {**json.loads((HF / "openai--gpt-oss-20b" / "config.json").read_text()), **change}
    with pytest.raises(ArchitectureError, match=missing):
        read_architecture(config, "gpt-oss-20b")


def test_mamba_without_its_fields_is_refused():
    config = json.loads((HF / "nvidia--Nemotron-H-56B-Base-8K" / "config.json").read_text())
    del config["ssm_state_size"]
    with pytest.raises(ArchitectureError, match="Mamba2 layers exactly: config.json lacks ssm_state_size"):
        read_architecture(config, "nemotron")


def test_lightning_attention_is_refused_not_guessed():
    config = {"num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4, "head_dim": 64,
              "hidden_size": 256, "max_position_embeddings": 4096, "attn_type_list": [0, 1]}
    with pytest.raises(ArchitectureError, match="lightning"):
        read_architecture(config)


def test_model_facts_are_read_once_from_the_config():
    # DeepSeek V3: 256 routed experts, 8 per token, expert MLP 2,048 wide, dense MLP 18,432, vocab 129,280
    model = arch("deepseek-ai--DeepSeek-V3")
    assert (model.experts, model.experts_per_token, model.expert_intermediate_size) == (256, 8, 2048)
    assert (model.dense_intermediate_size, model.vocab_size, model.tie_word_embeddings) == (18432, 129280, False)
    # first_k_dense_replace 3: layers 0-2 dense, 3-60 MoE
    assert [layer.ffn.kind for layer in model.layers[:4]] == ["dense_mlp"] * 3 + ["moe"]
    # the V3.2 indexer's query heads come from index_n_heads (64), not a constant
    indexer = arch("deepseek-ai--DeepSeek-V3.2").caches[0][1]
    assert (indexer.kind, indexer.index_heads) == ("sparse_indexer", 64)
    assert arch("google--gemma-4-26B-A4B").tie_word_embeddings is True


def test_traits_the_config_does_not_state_come_from_the_modelling_class():
    # gpt-oss: attention sinks and biased experts; Qwen3: per-head q/k norms; neither from model_type
    gpt_oss = arch("openai--gpt-oss-20b")
    assert gpt_oss.layers[0].mixer.sinks and gpt_oss.layers[0].ffn.expert_biases
    assert arch("Qwen--Qwen3-235B-A22B").layers[0].mixer.qk_norm == "per_head"
    assert arch("meta-llama--Meta-Llama-3.1-8B").layers[0].mixer.qk_norm == "none"
    config = json.loads((HF / "openai--gpt-oss-20b" / "config.json").read_text())
    config["model_type"] = "something_else"  # the class decides, not model_type
    assert read_architecture(config).layers[0].mixer.sinks
    del config["architectures"]  # an unknown class: no trait is assumed
    assert not read_architecture(config).layers[0].mixer.sinks
    assert all(isinstance(traits, frozenset) for traits in CLASS_TRAITS.values())


def test_weights_facts_are_refused_only_when_used():
    # no qk_nope_head_dim: the MLA cache is exact (seed sizing works), the parameter count is refused
    config = json.loads((HF / "deepseek-ai--DeepSeek-V3" / "config.json").read_text())
    del config["qk_nope_head_dim"]
    model = read_architecture(config, "v3")
    assert ideal_account(model.caches, 1000, 1).bytes_per_session == 35_136_000
    from llm_sizing.model.parameters import count_parameters

    with pytest.raises(ArchitectureError, match="cannot count the MLA attention weights: config.json lacks "
                                                "qk_nope_head_dim"):
        count_parameters(model)


def params(directory):
    from llm_sizing.model.parameters import count_parameters

    return count_parameters(arch(directory)).total


def test_kimi_linear_counts_the_checkpoints_parameters():
    # the Kimi-Linear-48B checkpoint's safetensors listing totals 49,122,681,728 parameters; the
    # count: embeddings and lm_head 2 x 163,840 x 2,304; per KDA layer q, k, v (3 x 2,304 x 4,096),
    # f_a / g_a (2 x 2,304 x 128), f_b / g_b (2 x 128 x 4,096), b_proj 2,304 x 32, o_proj 4,096 x 2,304,
    # convs 3 x 4,096 x 4, A_log 32, dt_bias 4,096, o_norm 128; MLA layers as DeepSeek without q_lora;
    # layer 0 a dense MLP of 9,216; 26 MoE layers of 256 experts (3 x 2,304 x 1,024), a shared expert of
    # 1,024, a router 2,304 x 256 and its 256 score-correction biases
    assert params("moonshotai--Kimi-Linear-48B-A3B-Instruct") == 49_122_681_728


def test_nas_blocks_read_their_own_heads_and_widths():
    from llm_sizing.model.architecture import nas_intermediate_size

    # int(2 x m x 8,192 / 3) rounded up to a multiple of 256 (vLLM _ffn_mult_to_intermediate_size)
    assert nas_intermediate_size(5.25, 8192) == 28672  # 28,672 exactly
    assert nas_intermediate_size(1.3125, 8192) == 7168
    assert nas_intermediate_size(0.5, 8192) == 2816  # int(2,730.67) = 2,730 -> 2,816
    model = arch("nvidia--Llama-3_3-Nemotron-Super-49B-v1")
    assert model.layer_counts() == {"full_attention": 49, "no_kv_cache": 31}
    assert {layer.mixer.kv_heads for layer in model.layers if layer.mixer.kind == "attention"} == {8}


def test_kimi_k3s_weights_are_refused_by_name_its_cache_is_exact():
    from llm_sizing.model.parameters import count_parameters

    with pytest.raises(ArchitectureError, match="mla_use_output_gate"):
        count_parameters(arch("moonshotai--Kimi-K3"))


def test_a_layer_list_that_does_not_split_the_layers_is_refused():
    config = json.loads((HF / "moonshotai--Kimi-Linear-48B-A3B-Instruct" / "config.json").read_text())
    config["linear_attn_config"]["kda_layers"].append(4)  # layer 4 is also a full-attention layer
    with pytest.raises(ArchitectureError, match="kda_layers and full_attn_layers must split layers 1 to 27"):
        read_architecture(config)
    blocks = json.loads((HF / "nvidia--NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16" / "config.json").read_text())
    blocks["num_hidden_layers"] = 100
    with pytest.raises(ArchitectureError, match="'layers_block_type' has 108 entries but num_hidden_layers is 100"):
        read_architecture(blocks)
    blocks = json.loads((HF / "nvidia--Llama-3_3-Nemotron-Super-49B-v1" / "config.json").read_text())
    blocks["block_configs"][0]["attention"]["replace_with_linear"] = True
    with pytest.raises(ArchitectureError, match="replace_with_linear is not supported"):
        read_architecture(blocks)
