"""Per-layer KV specs, each against a hand-derived value."""

import pytest

from llm_sizing import load_catalog
from llm_sizing.errors import InputError
from llm_sizing.kv import FullAttention, SlidingWindow, kv_account


def test_full_attention_bytes_per_token_is_the_card_formula():
    # card: KV = 2 x seq_length x num_kv_heads x head_dim x bytes_per_elem (per layer)
    # gpt-oss: 8 KV heads, head_dim 64, fp8: 2 x 8 x 64 x 1 = 1024 B per token per layer
    spec = FullAttention(num_kv_heads=8, k_head_dim=64, v_head_dim=64, bytes_per_element=1)
    assert spec.bytes_per_token() == 1024
    assert spec.tokens_held(131072) == 131072


def test_separate_k_and_v_head_dims():
    # 4 KV heads, K dim 192, V dim 128, bf16: 4 x (192 + 128) x 2 = 2560 B
    assert FullAttention(4, 192, 128, 2).bytes_per_token() == 2560


def test_sliding_window_holds_at_most_its_window():
    spec = SlidingWindow(8, 64, 64, 1, window_tokens=128)
    assert spec.tokens_held(100) == 100      # shorter than the window: all of it
    assert spec.tokens_held(128) == 128
    assert spec.tokens_held(131072) == 128   # longer: the window only


def test_account_groups_in_order_of_first_appearance():
    model = load_catalog().model("gpt-oss-20b")
    account = kv_account(model, 32768, bytes_per_element=1)
    kinds = [(g.spec.kind, g.layers, g.tokens_held) for g in account.groups]
    # config.json layer_types starts with sliding_attention and alternates: 12 + 12
    assert kinds == [("sliding_attention", 12, 128), ("full_attention", 12, 32768)]
    # 12 x 128 x 1024 + 12 x 32768 x 1024 = 1,572,864 + 402,653,184 = 404,226,048 B
    assert [g.bytes_per_session for g in account.groups] == [1_572_864, 402_653_184]
    assert account.bytes_per_session == 404_226_048


def test_unknown_layer_kind_is_refused():
    import dataclasses

    model = dataclasses.replace(load_catalog().model("gpt-oss-20b"), layer_types=("mystery",) * 24)
    with pytest.raises(InputError, match="layer kind 'mystery' has no KV spec"):
        kv_account(model, 1000, 1)
