"""Per-layer KV-cache specs: one small frozen class per kind of cache a layer keeps.

Each kind answers, after vLLM's `vllm/v1/kv_cache_interface.py`:
  bytes_per_token(kv_bytes)          what one token adds in one layer (0 for recurrent state)
  tokens_held(context)               ideal accounting: tokens one session keeps (None: constant state)
  bytes_per_session(context, kv_bytes)   ideal: exact bytes one session holds in one layer
  page_bytes(block, kv_bytes)        paged: bytes of one block of `block` tokens
  blocks_per_session(context, paging, block)   paged: blocks one request of `context` tokens is charged
  pool_family                        paged: which vLLM spec family it pools with (None: no pages)
  fixed_state                        paged: a constant-size state page (padded to the attention page)
  shard(tp)                          the part one tensor-parallel rank keeps
  decode_read_bytes(context, kv_bytes)   bytes one session's decode step reads (the roofline)
  attention_flops_per_token(context, q_heads)   FLOPs of one token's attention over the cache
`kv_bytes` is the KV precision's bytes per element; recurrent state and the sparse-attention
indexer have their own fixed formats and ignore it. Formulas and sources: docs/kv/README.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

from ..units import ceil_div

#: DeepSeek V3.2's fp8 sparse-MLA cache line: 512 fp8 latent bytes + 4 fp32 scales + 64 bf16 rope values
FP8_DS_MLA_BYTES_PER_TOKEN = 512 + 4 * 4 + 64 * 2  # = 656 (vLLM MLAAttentionSpec, cache_dtype_str fp8_ds_mla)
#: elements per fp32 scale in the indexer's fp8 key cache (vLLM deepseek_v2.Indexer.quant_block_size)
INDEXER_QUANT_BLOCK = 128


@dataclass(frozen=True)
class Paging:
    """vLLM's allocation parameters: tokens per block, and the scheduler's token budget per step."""

    block_tokens: int = 16
    max_num_batched_tokens: int = 8192


class _PerToken:
    """What every cache that grows with the context shares: by default it holds every token, a
    page is `block` tokens, a request needs cdiv(context, block) pages, a decode step reads every
    token held. Kinds override."""

    pool_family: Optional[tuple] = ("full",)  # vLLM FullAttentionSpec and its subclasses pool together
    fixed_state = False

    def bytes_per_token(self, kv_bytes: int) -> int:
        raise NotImplementedError

    def paged_bytes_per_token(self, kv_bytes: int) -> int:
        return self.bytes_per_token(kv_bytes)

    def tokens_held(self, context: int) -> Optional[int]:
        return context

    def bytes_per_session(self, context: int, kv_bytes: int) -> int:
        return self.tokens_held(context) * self.bytes_per_token(kv_bytes)

    def page_bytes(self, block: int, kv_bytes: int) -> int:
        return block * self.paged_bytes_per_token(kv_bytes)

    def blocks_per_session(self, context: int, paging: Paging, block: int) -> int:
        return ceil_div(context, block)

    def decode_read_bytes(self, context: int, kv_bytes: int) -> float:
        return float(self.tokens_held(context) * self.bytes_per_token(kv_bytes))

    def shard(self, tensor_parallel: int):
        return self


@dataclass(frozen=True)
class FullAttention(_PerToken):
    """MHA / GQA / MQA: every token of the context, K and V for each KV head."""

    num_kv_heads: int
    k_head_dim: int
    v_head_dim: int

    kind = "full_attention"

    def bytes_per_token(self, kv_bytes: int) -> int:
        return self.num_kv_heads * (self.k_head_dim + self.v_head_dim) * kv_bytes

    def shard(self, tensor_parallel: int):
        # each rank keeps max(1, kv_heads / tp) heads: replicated beyond the KV heads (vLLM get_num_kv_heads)
        return dataclasses.replace(self, num_kv_heads=max(1, self.num_kv_heads // tensor_parallel))

    def attention_flops_per_token(self, context: int, q_heads: int) -> float:
        # q.K and p.V over the tokens held: 2 x 2 x heads x head_dim per token attended
        return 4.0 * q_heads * self.k_head_dim * self.tokens_held(context)

    def describe(self) -> str:
        return f"{self.num_kv_heads} KV heads, K dim {self.k_head_dim}, V dim {self.v_head_dim}"


@dataclass(frozen=True)
class SlidingWindow(FullAttention):
    """Sliding-window attention: at most the last `window_tokens` tokens."""

    window_tokens: int = 0

    kind = "sliding_attention"

    @property
    def pool_family(self) -> tuple:
        return ("sliding", self.window_tokens)

    def tokens_held(self, context: int) -> Optional[int]:
        return min(context, self.window_tokens)

    def blocks_per_session(self, context: int, paging: Paging, block: int) -> int:
        # vLLM SlidingWindowSpec: +1 because the window may not start at a block boundary
        tokens = min(self.window_tokens - 1 + paging.max_num_batched_tokens, context)
        return ceil_div(tokens, block) + 1

    def describe(self) -> str:
        return super().describe() + f", window {self.window_tokens:,} tokens"


@dataclass(frozen=True)
class ChunkedLocal(FullAttention):
    """Chunked local attention (Llama 4): a token sees only its own chunk of `chunk_tokens`."""

    chunk_tokens: int = 0

    kind = "chunked_attention"

    @property
    def pool_family(self) -> tuple:
        return ("chunked", self.chunk_tokens)

    def tokens_held(self, context: int) -> Optional[int]:
        return min(context, self.chunk_tokens)

    def blocks_per_session(self, context: int, paging: Paging, block: int) -> int:
        # vLLM ChunkedLocalAttentionSpec
        return ceil_div(min(self.chunk_tokens + paging.max_num_batched_tokens, context), block)

    def describe(self) -> str:
        return super().describe() + f", chunk {self.chunk_tokens:,} tokens"


@dataclass(frozen=True)
class MlaLatent(_PerToken):
    """Multi-head latent attention (DeepSeek V2/V3/R1, Kimi K2): one compressed latent of
    kv_lora_rank + qk_rope_head_dim elements per token per layer, no K/V pair, no per-head copy,
    whole on every tensor-parallel rank. `fp8_sparse_format`: DeepSeek V3.2's paged fp8 layout
    (656 bytes per token)."""

    kv_lora_rank: int
    qk_rope_head_dim: int
    fp8_sparse_format: bool = False
    attend_top_k: Optional[int] = None  # sparse attention (DeepSeek V3.2 index_topk): tokens attended per step

    kind = "mla_latent"

    def bytes_per_token(self, kv_bytes: int) -> int:
        return (self.kv_lora_rank + self.qk_rope_head_dim) * kv_bytes

    def paged_bytes_per_token(self, kv_bytes: int) -> int:
        if self.fp8_sparse_format and kv_bytes == 1:
            return FP8_DS_MLA_BYTES_PER_TOKEN
        return self.bytes_per_token(kv_bytes)

    def attended(self, context: int) -> int:
        return min(context, self.attend_top_k) if self.attend_top_k else context

    def decode_read_bytes(self, context: int, kv_bytes: int) -> float:
        if self.attend_top_k:  # only the top-k latents the indexer picked
            return float(self.attended(context) * self.paged_bytes_per_token(kv_bytes))
        return super().decode_read_bytes(context, kv_bytes)

    def attention_flops_per_token(self, context: int, q_heads: int) -> float:
        # absorbed MLA: scores over latent + rope, values over the latent
        return 2.0 * q_heads * self.attended(context) * (2 * self.kv_lora_rank + self.qk_rope_head_dim)

    def describe(self) -> str:
        return f"latent {self.kv_lora_rank} + rope {self.qk_rope_head_dim}"


@dataclass(frozen=True)
class SparseIndexer(_PerToken):
    """DeepSeek V3.2 sparse-attention indexer key cache: index_head_dim fp8 values plus one fp32
    scale per 128, per token per layer, whatever the KV precision (vLLM DeepseekV32IndexerCache).
    Whole on every tensor-parallel rank; its `index_heads` query heads score every token."""

    index_head_dim: int
    index_heads: int = 64

    kind = "sparse_indexer"

    def bytes_per_token(self, kv_bytes: int) -> int:
        return self.index_head_dim + self.index_head_dim // INDEXER_QUANT_BLOCK * 4

    def attention_flops_per_token(self, context: int, q_heads: int) -> float:
        return 2.0 * self.index_heads * self.index_head_dim * context

    def describe(self) -> str:
        return f"index_head_dim {self.index_head_dim} fp8 + fp32 scales"


@dataclass(frozen=True)
class IndexKey(_PerToken):
    """MiniMax M3's block-sparse attention index key: one shared head of `dim` values per token per
    sparse layer, in bf16 (vLLM's default indexer_kv_dtype), whatever the KV precision; whole on
    every tensor-parallel rank (vLLM minimax_m3/common/indexer.py: an MLAAttentionSpec, one vector
    per token, cache_role INDEXER)."""

    dim: int
    element_bytes: int = 2

    kind = "index_key"

    def bytes_per_token(self, kv_bytes: int) -> int:
        return self.dim * self.element_bytes

    def attention_flops_per_token(self, context: int, q_heads: int) -> float:
        return 2.0 * q_heads * self.dim * context

    def describe(self) -> str:
        return f"one {self.dim}-wide index key, {self.element_bytes} B per value"


@dataclass(frozen=True)
class RecurrentState:
    """Mamba2 / Gated DeltaNet / linear-attention layers: fixed-size state tensors per session,
    whatever the context, split by heads over tensor-parallel ranks. `tensors` is
    ((name, elements, bytes_per_element), ...)."""

    family: str
    tensors: tuple[tuple[str, int, int], ...]
    conv_rows: int = 0  # the convolution state's rows (kernel - 1): speculative tokens add rows
    copies: int = 1  # state copies a request holds (1 + speculative tokens)

    kind = "recurrent_state"
    pool_family = ("mamba",)
    fixed_state = True

    @property
    def state_bytes(self) -> int:
        """One copy of the state."""
        return sum(elements * width for _, elements, width in self.tensors)

    def speculative(self, tokens: int) -> "RecurrentState":
        """With `tokens` speculative tokens a step: 1 + tokens copies per request, and `tokens` more
        convolution rows (vLLM MambaSpec.max_memory_usage_bytes, kda/mamba2 state shapes with num_spec)."""
        if not tokens:
            return self
        rows = self.conv_rows
        tensors = tuple((name, elements // rows * (rows + tokens) if name == "conv" and rows else elements, width)
                        for name, elements, width in self.tensors)
        return dataclasses.replace(self, tensors=tensors, conv_rows=rows + tokens if rows else 0, copies=1 + tokens)

    def bytes_per_token(self, kv_bytes: int) -> int:
        return 0

    def tokens_held(self, context: int) -> Optional[int]:
        return None

    def bytes_per_session(self, context: int, kv_bytes: int) -> int:
        return self.copies * self.state_bytes

    def page_bytes(self, block: int, kv_bytes: int) -> int:
        return self.state_bytes

    def blocks_per_session(self, context: int, paging: Paging, block: int) -> int:
        return self.copies  # vLLM MambaSpec, mamba_cache_mode "none": one page per request (per state copy)

    def shard(self, tensor_parallel: int):
        return dataclasses.replace(self, tensors=tuple((name, ceil_div(elements, tensor_parallel), width)
                                                       for name, elements, width in self.tensors))


    def decode_read_bytes(self, context: int, kv_bytes: int) -> float:
        return 2.0 * self.state_bytes  # read and write the state

    def attention_flops_per_token(self, context: int, q_heads: int) -> float:
        return 4.0 * sum(n for _, n, _ in self.tensors)

    def describe(self) -> str:
        parts = ", ".join(f"{name} {elements:,} x {width} B" for name, elements, width in self.tensors)
        copies = f" x {self.copies} copies (speculative decoding)" if self.copies > 1 else ""
        return f"{self.family}: {parts}{copies}"


@dataclass(frozen=True)
class SharedKv:
    """A layer that reads an earlier layer's KV cache (Gemma `num_kv_shared_layers`): adds nothing,
    allocates no page. `shares` is the kind of the layer whose cache it reads."""

    shares: str

    kind = "shared_kv"
    pool_family = None
    fixed_state = False

    def bytes_per_token(self, kv_bytes: int) -> int:
        return 0

    def tokens_held(self, context: int) -> Optional[int]:
        return 0

    def bytes_per_session(self, context: int, kv_bytes: int) -> int:
        return 0

    def shard(self, tensor_parallel: int):
        return self

    def decode_read_bytes(self, context: int, kv_bytes: int) -> float:
        return 0.0

    def attention_flops_per_token(self, context: int, q_heads: int) -> float:
        return 0.0

    def describe(self) -> str:
        return f"reuses the KV cache of an earlier {self.shares} layer"
