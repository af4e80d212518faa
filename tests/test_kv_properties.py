"""Invariants of the per-layer KV model (hypothesis)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from llm_sizing import load_catalog
from llm_sizing.accounting import kv_account
from llm_sizing.kv import FullAttention, MlaLatent, Paging, RecurrentState, SlidingWindow

CATALOG = load_catalog()
MODELS = [m for m in CATALOG.models]
contexts = st.integers(1, 400_000)
widths = st.sampled_from([1, 2, 4])


@given(heads=st.integers(1, 128), dim=st.integers(1, 512), window=st.integers(1, 200_000), context=contexts,
       width=widths)
def test_a_sliding_layer_never_holds_more_than_a_full_one(heads, dim, window, context, width):
    full = FullAttention(heads, dim, dim)
    sliding = SlidingWindow(heads, dim, dim, window_tokens=window)
    assert sliding.bytes_per_session(context, width) <= full.bytes_per_session(context, width)


@given(tensors=st.lists(st.tuples(st.just("t"), st.integers(1, 10**7), widths), min_size=1, max_size=3),
       a=contexts, b=contexts)
def test_recurrent_state_is_constant_in_context(tensors, a, b):
    state = RecurrentState("mamba2", tuple(tensors))
    assert state.bytes_per_session(a, 1) == state.bytes_per_session(b, 2) == sum(n * w for _, n, w in tensors)


@settings(max_examples=300, deadline=None)
@given(model=st.sampled_from(MODELS), a=contexts, extra=st.integers(0, 300_000), width=widths,
       mode=st.sampled_from(["ideal", "paged"]), block=st.sampled_from([16, 32, 128]),
       batched=st.sampled_from([512, 2048, 8192]))
def test_bytes_never_decrease_with_context(model, a, extra, width, mode, block, batched):
    paging = Paging(block, batched)
    shorter = kv_account(model.architecture, a, width, mode, paging).bytes_per_session
    longer = kv_account(model.architecture, a + extra, width, mode, paging).bytes_per_session
    assert longer >= shorter


MLA_MODELS = [m for m in MODELS if m.config.get("kv_lora_rank") and m.config.get("v_head_dim")]


@settings(max_examples=100, deadline=None)
@given(model=st.sampled_from(MLA_MODELS), context=contexts, width=widths)
def test_mla_is_below_the_mha_it_replaces(model, context, width):
    # the MHA these layers replace: num_attention_heads heads of K (qk_nope + qk_rope) and V (v_head_dim)
    c = model.config
    mha = FullAttention(c["num_attention_heads"], c["qk_nope_head_dim"] + c["qk_rope_head_dim"], c["v_head_dim"])
    mla = MlaLatent(c["kv_lora_rank"], c["qk_rope_head_dim"])
    assert mla.bytes_per_session(context, width) < mha.bytes_per_session(context, width)


def test_the_catalog_has_mla_models_to_check():
    assert {m.name for m in MLA_MODELS} >= {"deepseek-v3", "kimi-k2-instruct", "deepseek-v3.2", "glm-4.7-flash"}


@settings(max_examples=200, deadline=None)
@given(model=st.sampled_from(MODELS), context=contexts, width=widths)
def test_paged_never_below_ideal_for_attention_only_models(model, context, width):
    # whole blocks, widened windows and padding only ever add bytes
    ideal = kv_account(model.architecture, context, width, "ideal").bytes_per_session
    paged = kv_account(model.architecture, context, width, "paged", Paging(16, 8192)).bytes_per_session
    assert paged >= ideal
