"""--speculative (model/speculative.py): the draft's layers add their KV cache to the same pool and
their weights beside the target's, in both accounting modes and the physical model; recurrent
states are kept once per speculative token more; a model without MTP layers, or a malformed value,
is refused in one line."""

import json

import pytest

from conftest import HF, cli, one_line_error
from llm_sizing import InputError, Scenario, load_catalog, size
from llm_sizing.model.architecture import read_architecture
from llm_sizing.model.parameters import count_parameters
from llm_sizing.model.speculative import Speculation

CATALOG = load_catalog()
BASE = ["--server", "hgx-h100", "--storage", "profile_default", "--concurrency", "10", "--effective-context", "8192"]


def eagle_head(tmp_path):
    """A one-layer EAGLE head shaped as Llama-3.1-8B's layers (hidden 4,096, 32 heads, 8 KV heads of 128,
    MLP 14,336): the head vLLM's llama_eagle.py builds for that target."""
    target = json.loads((HF / "meta-llama--Meta-Llama-3.1-8B" / "config.json").read_text())
    head = {**target, "architectures": ["EagleLlamaForCausalLM"], "num_hidden_layers": 1}
    (tmp_path / "config.json").write_text(json.dumps(head))
    return str(tmp_path / "config.json")


def test_an_eagle_head_adds_its_layer_to_the_kv_per_token(tmp_path):
    # Llama-3.1-8B in bf16: 32 layers x 8 KV heads x (128 + 128) x 2 B = 131,072 B per token; the head's
    # one layer adds 4,096 B: 33 x 4,096 = 135,168 B = 132 KiB per token, the figure vLLM's start-up log
    # gives for Llama-3.1-8B with an EAGLE drafter
    argv = ["--model", "llama-3.1-8b", *BASE, "--kv-precision", "bf16", "--json-only"]
    plain = json.loads(cli(argv).stdout)["results"]["kv_per_session_bytes"]
    drafted = json.loads(cli(argv + ["--speculative", f"draft:{eagle_head(tmp_path)}"]).stdout)
    assert plain == 131_072 * 8192
    assert drafted["results"]["kv_per_session_bytes"] == 135_168 * 8192


def test_an_eagle_head_shares_the_embeddings_and_adds_its_fc(tmp_path):
    target = CATALOG.model("llama-3.1-8b").architecture
    head = read_architecture(json.loads(open(eagle_head(tmp_path)).read()), "head")
    combined = target.speculating(Speculation("draft", 1, "head"), head)
    # the layer (q, k, v, o, gated MLP: 4,096 x 6,144 + 4,096 x 4,096 + 3 x 4,096 x 14,336 = 218,103,808)
    # and its two norms (8,192), plus fc 2 x 4,096 x 4,096 = 33,554,432; no embeddings, no lm_head
    added = count_parameters(combined).total - count_parameters(target).total
    assert added == 218_103_808 + 8_192 + 33_554_432


def test_mtp_adds_the_models_own_prediction_layer():
    # DeepSeek V3, fp8 KV: 61 MLA layers x 576 B per token; num_nextn_predict_layers 1 adds one more
    base = size(Scenario(model="deepseek-v3", server="dgx200", storage="profile_default", concurrency=10,
                         effective_context=8192), CATALOG)
    mtp = size(Scenario(model="deepseek-v3", server="dgx200", storage="profile_default", concurrency=10,
                        effective_context=8192, speculative="mtp"), CATALOG)
    assert base.kv.account.bytes_per_session == 61 * 576 * 8192
    assert mtp.kv.account.bytes_per_session == 62 * 576 * 8192
    arch = CATALOG.model("deepseek-v3").architecture
    combined = arch.speculating(Speculation("mtp", 1))
    # the MTP module: a MoE decoder layer as the main model's layer 3 (the first MoE layer), its two
    # norms, eh_proj 2 x 7,168 x 7,168 and enorm, hnorm, shared_head.norm 3 x 7,168
    layer = arch.layers[3]
    layer_params = sum(c.params for c in layer.mixer.parameters() + layer.ffn.parameters()) + 2 * 7168
    added = count_parameters(combined).total - count_parameters(arch).total
    assert added == layer_params + 2 * 7168 * 7168 + 3 * 7168


def test_speculative_tokens_keep_more_recurrent_state():
    # Qwen3.5-27B with mtp:2 (fp8 KV): the MTP layer (full attention, 4 KV heads x 512 x 1 B = 2,048 B per
    # token) and 48 Gated DeltaNet states kept 1 + 2 = 3 times, each with 2 more conv rows:
    # conv (3 + 2) x 10,240 x 2 B = 102,400 B, state 3,145,728 B: 3 x 3,248,128 = 9,744,384 B a layer
    scenario = dict(model="qwen3.5-27b", server="dgx200", storage="profile_default", concurrency=10,
                    effective_context=8192)
    plain = size(Scenario(**scenario), CATALOG).kv.account.bytes_per_session
    spec = size(Scenario(**scenario, speculative="mtp:2"), CATALOG).kv.account.bytes_per_session
    assert plain == 16 * 2048 * 8192 + 48 * (61_440 + 3_145_728)
    assert spec == 17 * 2048 * 8192 + 48 * 9_744_384


def test_the_physical_model_loads_the_draft(tmp_path):
    argv = ["--model", "llama-3.1-8b", *BASE, "--memory-model", "physical", "--json-only"]
    plain = json.loads(cli(argv).stdout)["results"]
    drafted = json.loads(cli(argv + ["--speculative", f"draft:{eagle_head(tmp_path)}"]).stdout)["results"]
    # + 251,666,432 parameters in bf16 (the head's layer, norms and fc) = 0.4688 GiB on the one GPU
    assert drafted["weights_gib_per_gpu"] - plain["weights_gib_per_gpu"] == pytest.approx(
        251_666_432 * 2 / 2**30, abs=0.01)
    assert drafted["kv_cache_tokens"] < plain["kv_cache_tokens"]


def test_bad_speculative_values_are_one_line():
    one_line_error(["--model", "llama-3.1-8b", *BASE, "--speculative", "eagle"], "--speculative must be none, mtp")
    one_line_error(["--model", "llama-3.1-8b", *BASE, "--speculative", "mtp:99"], "1 to 32")
    one_line_error(["--model", "llama-3.1-8b", *BASE, "--speculative", "mtp"],
                   "has no multi-token-prediction layers")
    one_line_error(["--model", "minimax-m2", *BASE, "--speculative", "mtp"], "num_mtp_modules")
    one_line_error(["--model", "llama-3.1-8b", *BASE, "--speculative", "draft:llama-3.1-8bb"], "llama-3.1-8b")
    with pytest.raises(InputError):
        Speculation.parse("draft:")
