"""Parameter counts by component (model/parameters.py, model/layers.py), against the published
checkpoints' sizes and the gpt-oss model card."""

import pytest

from llm_sizing import load_catalog
from llm_sizing.model.parameters import count_parameters

CATALOG = load_catalog()


def params(name):
    return count_parameters(CATALOG.model(name).architecture)


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


def test_llama_8b_components_by_hand():
    # hidden 4,096, 32 heads x 128, 8 KV heads, MLP 14,336, vocab 128,256, 32 layers, untied:
    # embeddings = lm_head = 128,256 x 4,096 = 525,336,576; attention q + o = 2 x 4,096 x 4,096 x 32 layers;
    # K/V 2 x 4,096 x 1,024 x 32; MLP 3 x 4,096 x 14,336 x 32; norms 2 x 4,096 x 32 + 4,096 = 266,240
    parts = params("llama-3.1-8b").by_name()
    assert parts == {"embeddings": 525_336_576, "lm_head": 525_336_576, "attention": 2 * 4096 * 4096 * 32,
                     "attention_kv": 2 * 4096 * 1024 * 32, "mlp": 3 * 4096 * 14336 * 32, "norms": 266_240}


def test_each_component_says_how_a_replica_shares_it():
    splits = {c.name: c.split for c in params("deepseek-v3").components}
    assert splits == {"embeddings": "vocab", "lm_head": "vocab", "norms": "replicated",
                      "attention_mla_down": "replicated", "attention": "tp", "mlp": "tp", "experts": "experts",
                      "router": "replicated", "shared_experts": "tp"}
    kv = [c for c in params("llama-3.1-8b").components if c.split == "kv"]
    assert [(c.name, c.kv_heads) for c in kv] == [("attention_kv", 8)]


def test_what_the_count_leaves_out_is_said():
    assert params("deepseek-v3").notes == ("1 multi-token-prediction layer(s) not counted: vLLM loads them only "
                                           "for speculative decoding",)
    assert "vision encoder" in params("qwen3-vl-32b-instruct").notes[0]
