"""The KV stage (stages/kv.py): paged accounting against vLLM's own worked examples
(tests/v1/core/test_kv_cache_utils.py and tests/v1/worker/test_gpu_model_runner.py in vllm-project/vllm;
inputs and expected values copied from those tests), the hybrid rules of vllm/v1/core/kv_cache_utils.py
by hand, and the invariants of the per-layer model (hypothesis)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from llm_sizing import load_catalog
from llm_sizing.model.caches import FullAttention, MlaLatent, Paging, RecurrentState, SlidingWindow, SparseIndexer
from llm_sizing.stages.kv import kv_account, max_concurrency, paged_account, pool_blocks
from llm_sizing.units import largest_holding

GIB = 2**30
FP16, FP32 = 2, 4


def model(*groups):
    """The caches of (spec, layer count) groups, one cache per layer."""
    return tuple((spec,) for spec, count in groups for _ in range(count))


def largest_context(caches, kv_bytes, available_bytes, max_context, paging):
    """vLLM estimate_max_model_len: the longest context one request can have in `available_bytes`
    (KV bytes never decrease with the context, so bisection is exact)."""
    return largest_holding(1, max_context, lambda context: paged_account(caches, context, kv_bytes, paging)
                           .bytes_per_session <= available_bytes) or 0


# test_get_max_concurrency_for_kv_cache_config: FullAttentionSpec(block_size=16, num_kv_heads=32,
# head_size=128, dtype=float16), SlidingWindowSpec(... sliding_window=1024), max_model_len 16384,
# max_num_batched_tokens 1024
FULL = FullAttention(32, 128, 128)
SLIDING = SlidingWindow(32, 128, 128, window_tokens=1024)
PAGING = Paging(block_tokens=16, max_num_batched_tokens=1024)


def test_vllm_full_attention_concurrency():
    # 32 full layers: cdiv(16384, 16) = 1024 blocks per request; num_blocks int(1024 * 1.5) -> 1.5
    account = paged_account(model((FULL, 32)), 16384, FP16, PAGING)
    assert account.blocks_per_session == 1024
    assert max_concurrency(1536, account) == 1.5


def test_vllm_sliding_window_concurrency():
    # 32 SW layers: cdiv(min(1024 - 1 + 1024, 16384), 16) + 1 = 128 + 1 = 129; num_blocks 129 * 3 -> 3
    account = paged_account(model((SLIDING, 32)), 16384, FP16, PAGING)
    assert account.blocks_per_session == 129
    assert max_concurrency(387, account) == 3


def test_vllm_hybrid_concurrency():
    # 32 full + 32 SW layers, two groups of 32: 1024 + 129 = 1153 blocks; num_blocks (1024 + 129) * 3 -> 3
    account = paged_account(model((FULL, 32), (SLIDING, 32)), 16384, FP16, PAGING)
    assert (account.vllm_group_size, account.vllm_groups, account.padding_layers) == (32, 2, 0)
    assert account.blocks_per_session == 1153
    assert max_concurrency(3459, account) == 3


def test_vllm_estimate_max_model_len():
    # test_estimate_max_model_len: 32 FullAttentionSpec(16, 32 heads, 128, float16), 8 GiB:
    # page 2 x 16 x 32 x 128 x 2 = 262,144 B; 32 layers -> 8 MiB per block; 1024 blocks = 16,384 tokens
    arch = model((FULL, 32))
    paging = Paging(16, 32768)
    assert largest_context(arch, FP16, 8 * GIB, 16385, paging) == 16384
    assert largest_context(arch, FP16, 8 * GIB, 16383, paging) == 16383


def test_vllm_gpu_model_runner_blocks():
    # test_init_kv_cache_without_kv_sharing: 2 layers Attention(8 heads, head 64), float16, block 16:
    # page 2 x 16 x 8 x 64 x 2 = 32,768 B; 20 GiB / 32 KiB / 2 layers = 327,680 blocks;
    # estimate_max_model_len(5 GiB) = 1,310,720 (max_model_len 3,000,000, max_num_batched_tokens 512)
    arch = model((FullAttention(8, 64, 64), 2))
    paging = Paging(16, 512)
    account = paged_account(arch, 3_000_000, FP16, paging)
    assert account.pool_block_bytes == 2 * 32_768
    assert pool_blocks(20 * GIB, account) == 327_680
    assert largest_context(arch, FP16, 5 * GIB, 3_000_000, paging) == 1_310_720


def test_vllm_gpu_model_runner_blocks_old_variant():
    # older variant of the same test: block 128, 8 heads x 128, bf16: page 2 x 8 x 128 x 2 x 128 = 512 KiB;
    # 20 GiB / 512 KiB / 2 = 20,480 blocks; max context 5 GiB / (512 KiB / 128) / 2 = 655,360
    arch = model((FullAttention(8, 128, 128), 2))
    paging = Paging(128, 512)
    assert pool_blocks(20 * GIB, paged_account(arch, 1000, FP16, paging)) == 20_480
    assert largest_context(arch, FP16, 5 * GIB, 3_000_000, paging) == 655_360


def test_paged_rounds_full_attention_up_to_whole_blocks():
    # 100 tokens, block 16: cdiv(100, 16) = 7 blocks = 112 tokens x 1,024 B = 114,688 B per layer
    arch = model((FullAttention(8, 64, 64), 1))
    assert kv_account(arch, 100, 1, "paged", Paging(16, 8192)).bytes_per_session == 112 * 1024
    assert kv_account(arch, 100, 1, "ideal").bytes_per_session == 100 * 1024


def test_gpt_oss_paged_by_hand():
    # gpt-oss-120b at 131,072 tokens, fp8, block 16, 8192 batched tokens: both kinds 1,024 B per token,
    # page 16 x 1,024 = 16,384 B; full: 131072 / 16 = 8,192 blocks; sliding: cdiv(min(127 + 8192, 131072), 16)
    # + 1 = 520 + 1 = 521 blocks; groups of 18: bytes = 18 x 16,384 x (8,192 + 521) = 294,912 x 8,713 = 2,569,568,256
    arch = model((SlidingWindow(8, 64, 64, window_tokens=128), 18), (FullAttention(8, 64, 64), 18))
    account = paged_account(arch, 131072, 1, Paging(16, 8192))
    assert account.blocks_per_session == 8192 + 521
    assert account.bytes_per_session == 2_569_568_256


def test_hybrid_groups_pad_the_smaller_kind():
    # 10 full + 25 sliding: group size 10 (25 >= 1.5 x 10), sliding in cdiv(25, 10) = 3 groups, 5 padding
    # layers. 2048 tokens, block 16, batched 16, window 32: full 128 blocks, sliding cdiv(min(31 + 16, 2048),
    # 16) + 1 = 3 + 1 = 4 blocks. Pool block 10 x 16 x 1,024 B; blocks 128 + 3 x 4 = 140
    arch = model((FullAttention(8, 64, 64), 10), (SlidingWindow(8, 64, 64, window_tokens=32), 25))
    account = paged_account(arch, 2048, 1, Paging(16, 16))
    assert (account.vllm_group_size, account.vllm_groups, account.padding_layers) == (10, 4, 5)
    assert account.blocks_per_session == 140
    assert account.bytes_per_session == 10 * 16 * 1024 * 140


def test_recurrent_state_pads_to_the_attention_page():
    # Qwen3-Next-like: GDN state 1,097,728 B per layer; attention 2 KV heads x 256 x 2 (K,V) x 2 B = 2,048 B
    # per token. vLLM: attention block = 16 x cdiv(1,097,728, 16 x 2,048) = 16 x 34 = 544 tokens;
    # page 544 x 2,048 = 1,114,112 B; the state page is padded to 1,114,112 B (1 page per request).
    state = RecurrentState("gated_deltanet", (("conv", 24_576, 2), ("ssm", 524_288, 2)))
    attention = FullAttention(2, 256, 256)
    arch = model((state, 36), (attention, 12))
    account = paged_account(arch, 4096, FP16, Paging(16, 8192))
    groups = {g.spec.kind: g for g in account.groups}
    assert groups["full_attention"].block_tokens == 544
    assert groups["recurrent_state"].page_bytes == groups["full_attention"].page_bytes == 1_114_112
    # groups of 12: state 3 groups x 1 page, attention cdiv(4096, 544) = 8 pages -> 3 + 8 = 11 blocks
    assert account.blocks_per_session == 11
    assert account.bytes_per_session == 12 * 1_114_112 * 11


def test_mla_and_indexer_share_one_group():
    # DeepSeek V3.2 in vLLM: MLA (fp8_ds_mla, 656 B/token) and indexer (132 B/token) are one uniform-type
    # group; one pool block = 16 x (656 + 132) per layer; 61 layers; 1000 tokens = 63 blocks
    arch = ((MlaLatent(512, 64, True), SparseIndexer(128)),) * 61
    account = paged_account(arch, 1000, 1, Paging(16, 8192))
    assert account.pool_block_bytes == 61 * 16 * (656 + 132)
    assert account.blocks_per_session == 63


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
    shorter = kv_account(model.architecture.caches, a, width, mode, paging).bytes_per_session
    longer = kv_account(model.architecture.caches, a + extra, width, mode, paging).bytes_per_session
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
    ideal = kv_account(model.architecture.caches, context, width, "ideal").bytes_per_session
    paged = kv_account(model.architecture.caches, context, width, "paged", Paging(16, 8192)).bytes_per_session
    assert paged >= ideal
