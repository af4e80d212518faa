"""Per-layer KV cache specs, each against a hand-derived value: bytes (ideal accounting), what one
tensor-parallel rank keeps, what a decode step reads, attention FLOPs."""

from llm_sizing.model.caches import (ChunkedLocal, FullAttention, MlaLatent, RecurrentState, SharedKv, SlidingWindow,
                           SparseIndexer)


def test_full_attention_bytes_per_token_is_the_card_formula():
    # card: KV = 2 x seq_length x num_kv_heads x head_dim x bytes_per_elem (per layer)
    # gpt-oss: 8 KV heads, head_dim 64, fp8: 2 x 8 x 64 x 1 = 1024 B per token per layer
    spec = FullAttention(num_kv_heads=8, k_head_dim=64, v_head_dim=64)
    assert spec.bytes_per_token(1) == 1024
    assert spec.tokens_held(131072) == 131072
    assert spec.bytes_per_session(131072, 1) == 131072 * 1024


def test_separate_k_and_v_head_dims_and_k_equals_v():
    # 4 KV heads, K dim 192, V dim 128, bf16: 4 x (192 + 128) x 2 = 2560 B
    assert FullAttention(4, 192, 128).bytes_per_token(2) == 2560
    # Gemma 4 global layer (attention_k_eq_v shares projections, both K and V cached): 2 x (512 + 512) x 2 B
    assert FullAttention(2, 512, 512).bytes_per_token(2) == 4096


def test_sliding_window_holds_at_most_its_window():
    spec = SlidingWindow(8, 64, 64, window_tokens=128)
    assert spec.tokens_held(100) == 100      # shorter than the window: all of it
    assert spec.tokens_held(128) == 128
    assert spec.tokens_held(131072) == 128   # longer: the window only
    assert spec.bytes_per_session(131072, 1) == 128 * 1024


def test_chunked_local_holds_at_most_one_chunk():
    # Llama 4: chunk 8192 tokens; 8 KV heads x 128 x 2 (K, V) x 2 B = 4096 B per token
    spec = ChunkedLocal(8, 128, 128, chunk_tokens=8192)
    assert spec.tokens_held(1000) == 1000
    assert spec.bytes_per_session(1_000_000, 2) == 8192 * 4096


def test_mla_latent_is_one_vector_not_per_head():
    # DeepSeek V3: kv_lora_rank 512 + qk_rope_head_dim 64 = 576 elements per token per layer, bf16 1152 B
    spec = MlaLatent(512, 64)
    assert spec.bytes_per_token(2) == 1152
    assert spec.bytes_per_session(1000, 1) == 576_000
    # DeepSeek V3.2 fp8 paged layout: 512 fp8 + 4 fp32 scales (16 B) + 64 bf16 rope (128 B) = 656 B
    assert MlaLatent(512, 64, fp8_sparse_format=True).paged_bytes_per_token(1) == 656
    assert MlaLatent(512, 64, fp8_sparse_format=True).paged_bytes_per_token(2) == 1152


def test_sparse_indexer_has_its_own_fp8_format():
    # index_head_dim 128: 128 fp8 bytes + 128 // 128 x 4 B fp32 scale = 132 B, whatever the KV precision
    spec = SparseIndexer(128)
    assert spec.bytes_per_token(1) == spec.bytes_per_token(2) == 132


def test_recurrent_state_is_constant_in_context():
    # two tensors: 3 x 100 elements at 2 B + 10 x 10 at 4 B = 600 + 400 = 1000 B
    spec = RecurrentState("mamba2", (("conv", 300, 2), ("ssm", 100, 4)))
    assert spec.bytes_per_session(1, 1) == spec.bytes_per_session(10**6, 2) == 1000
    assert spec.tokens_held(5000) is None


def test_shared_kv_adds_nothing():
    assert SharedKv("sliding_attention").bytes_per_session(10**6, 2) == 0


def test_sharding_per_kind():
    # 8 KV heads over TP 4: 2 per rank; over TP 16: replicated, 1 per rank (vLLM get_num_kv_heads)
    assert FullAttention(8, 128, 128).shard(4).num_kv_heads == 2
    assert SlidingWindow(8, 64, 64, window_tokens=128).shard(16) == SlidingWindow(1, 64, 64, window_tokens=128)
    # the MLA latent and the indexer key are whole on every rank
    assert MlaLatent(512, 64).shard(8) == MlaLatent(512, 64)
    assert SparseIndexer(128).shard(8) == SparseIndexer(128)
    # recurrent state split by heads: ceil(300 / 4) = 75 elements
    assert RecurrentState("mamba2", (("conv", 300, 2),)).shard(4).tensors == (("conv", 75, 2),)


def test_decode_reads():
    # a sliding layer reads its window: 128 x 1,024 B; a full layer every token: 5,000 x 1,024 B
    assert SlidingWindow(8, 64, 64, window_tokens=128).decode_read_bytes(5000, 1) == 128 * 1024
    assert FullAttention(8, 64, 64).decode_read_bytes(5000, 1) == 5000 * 1024
    # V3.2: only the top-k (2,048) latents in the paged fp8 layout, 656 B each
    assert MlaLatent(512, 64, True, attend_top_k=2048).decode_read_bytes(100_000, 1) == 2048 * 656
    # recurrent state: read and written, 2 x 1,000 B
    assert RecurrentState("mamba2", (("conv", 300, 2), ("ssm", 100, 4))).decode_read_bytes(10, 1) == 2000
    assert SharedKv("full_attention").decode_read_bytes(10, 1) == 0


def test_attention_flops_per_token():
    # full: 4 x 32 heads x 128 x 1,500 tokens; MLA absorbed: 2 x 128 heads x 1,000 x (2 x 512 + 64)
    assert FullAttention(8, 128, 128).attention_flops_per_token(1500, 32) == 4 * 32 * 128 * 1500
    assert MlaLatent(512, 64).attention_flops_per_token(1000, 128) == 2 * 128 * 1000 * (2 * 512 + 64)
    # the indexer's 64 heads score every token: 2 x 64 x 128 x 1,000
    assert SparseIndexer(128, 64).attention_flops_per_token(1000, 128) == 2 * 64 * 128 * 1000
