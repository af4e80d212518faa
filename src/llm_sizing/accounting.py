"""KV bytes one session holds: `ideal` (exact bytes) or `paged` (how vLLM allocates).

ideal: the sum over layers of each spec's bytes_per_session(context).
paged: vLLM v1's allocator (`vllm/v1/core/kv_cache_utils.py`, `kv_cache_interface.py`):
  1. each attention spec's page is block x bytes per token; with recurrent layers the attention
     block grows to 16 x cdiv(state_page, 16 x attention bytes per token) tokens and the state
     page is padded to the attention page (HybridAttentionMambaModelConfig);
  2. identical specs form one group (one page); layers of one type but different sizes share one
     pool block of the sum of their pages (UniformTypeKVCacheSpecs); a true hybrid unifies page
     sizes (a smaller page's block grows by the ratio, or the page is padded when it does not
     divide), then splits each kind into groups of `group_size` layers (the smallest kind's count,
     or the largest's when that is < 1.5x the smallest), padding the last group;
  3. a request needs, per group, its spec's blocks_per_session; one pool block is page x
     group_size bytes; bytes per session = pool block x blocks.
Formulas and sources: docs/kv-cache.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Optional

from .architecture import Architecture
from .kv import Paging, RecurrentState, SharedKv
from .units import ceil_div, largest_holding

VLLM_MAMBA_BLOCK_ALIGNMENT = 16  # attention block for hybrid models is a multiple of 16 tokens


@dataclass(frozen=True)
class KvGroup:
    """`layers` layers sharing one spec, and what one session holds in them."""

    spec: object
    layers: int
    tokens_held: Optional[int]  # ideal: tokens per layer; None for recurrent state
    bytes_per_token_per_layer: int
    bytes_per_session: int
    # paged only
    block_tokens: Optional[int] = None
    page_bytes: Optional[int] = None
    blocks_per_session: Optional[int] = None


@dataclass(frozen=True)
class KvAccount:
    mode: str  # "ideal" | "paged"
    context_tokens: int
    groups: tuple[KvGroup, ...]
    bytes_per_session: int
    # paged only: one block of the shared pool (all layers), blocks one session needs, padding layers
    pool_block_bytes: Optional[int] = None
    blocks_per_session: Optional[int] = None
    padding_layers: int = 0
    vllm_group_size: Optional[int] = None
    vllm_groups: Optional[int] = None
    block_tokens: Optional[int] = None  # the smallest block size among groups (vLLM's token report)


def _counts(arch: Architecture) -> Counter:
    counts: Counter = Counter()
    for caches in arch.layers:
        for spec in caches:
            counts[spec] += 1
    return counts


def ideal_account(arch: Architecture, context: int, kv_bytes: int) -> KvAccount:
    groups = tuple(
        KvGroup(spec, layers, spec.tokens_held(context), spec.bytes_per_token(kv_bytes),
                layers * spec.bytes_per_session(context, kv_bytes))
        for spec, layers in _counts(arch).items())
    return KvAccount("ideal", context, groups, sum(g.bytes_per_session for g in groups))


def _hybrid_blocks(specs, kv_bytes: int, block: int) -> dict:
    """Block size per spec after vLLM's hybrid adjustments; state pages padded (see module doc)."""
    attention = [s for s in specs if not isinstance(s, RecurrentState)]
    states = [s for s in specs if isinstance(s, RecurrentState)]
    blocks = {s: block for s in specs}
    padded: dict = {}
    if states and attention:
        per_token = attention[0].page_bytes(1, kv_bytes)
        state_page = max(s.state_bytes for s in states)
        needed = VLLM_MAMBA_BLOCK_ALIGNMENT * ceil_div(state_page, VLLM_MAMBA_BLOCK_ALIGNMENT * per_token)
        block = max(block, needed)
        blocks = {s: block for s in specs}
        for s in states:
            padded[s] = block * per_token
    return blocks, padded


FULL_LIKE_KINDS = {"full_attention", "mla_latent", "sparse_indexer"}  # vLLM FullAttentionSpec and subclasses


def _uniform_type(specs, blocks) -> bool:
    """vLLM `UniformTypeKVCacheSpecs.is_uniform_type`: one block size and one kind of token budget."""
    if len({blocks[s] for s in specs}) != 1:
        return False
    kinds = {s.kind for s in specs}
    if kinds <= FULL_LIKE_KINDS or kinds == {"recurrent_state"}:
        return True
    if kinds == {"sliding_attention"}:
        return len({s.window_tokens for s in specs}) == 1
    if kinds == {"chunked_attention"}:
        return len({s.chunk_tokens for s in specs}) == 1
    return False


def paged_account(arch: Architecture, context: int, kv_bytes: int, paging: Paging) -> KvAccount:
    counts = Counter({spec: n for spec, n in _counts(arch).items() if not isinstance(spec, SharedKv)})
    specs = list(counts)
    blocks, padded = _hybrid_blocks(specs, kv_bytes, paging.block_tokens)

    def page(spec) -> int:
        return padded.get(spec) or spec.page_bytes(blocks[spec], kv_bytes)

    if _uniform_type(specs, blocks):
        # one group: every layer keeps its own page in each pool block
        per_session = max(s.blocks_per_session(context, paging, blocks[s]) for s in specs)
        pool_block = sum(page(s) * counts[s] for s in specs)
        groups = tuple(KvGroup(s, counts[s], s.tokens_held(context), s.bytes_per_token(kv_bytes),
                               counts[s] * page(s) * per_session, blocks[s], page(s), per_session) for s in specs)
        return KvAccount("paged", context, groups, pool_block * per_session, pool_block, per_session, 0,
                         sum(counts.values()) if len(specs) > 1 else counts[specs[0]], 1,
                         min(blocks.values()))

    # true hybrid: one page size for all, then groups of group_size layers
    max_page = max(page(s) for s in specs)
    for s in specs:
        if page(s) < max_page:
            if max_page % page(s) == 0 and s not in padded:
                blocks[s] = blocks[s] * (max_page // page(s))
            else:
                padded[s] = max_page
    smallest, largest = min(counts.values()), max(counts.values())
    group_size = largest if largest < smallest * 1.5 else smallest
    groups, total_blocks, n_groups, padding = [], 0, 0, 0
    for s in specs:
        k = ceil_div(counts[s], group_size)
        n_groups += k
        padding += k * group_size - counts[s]
        per_layer = s.blocks_per_session(context, paging, blocks[s])
        total_blocks += k * per_layer
        groups.append(KvGroup(s, counts[s], s.tokens_held(context), s.bytes_per_token(kv_bytes),
                              k * group_size * max_page * per_layer, blocks[s], max_page, per_layer))
    pool_block = max_page * group_size
    return KvAccount("paged", context, tuple(groups), pool_block * total_blocks, pool_block, total_blocks,
                     padding, group_size, n_groups, min(blocks.values()))


def kv_account(arch: Architecture, context: int, kv_bytes: int, mode: str = "ideal",
               paging: Optional[Paging] = None) -> KvAccount:
    if mode == "paged":
        return paged_account(arch, context, kv_bytes, paging or Paging())
    return ideal_account(arch, context, kv_bytes)


def pool_blocks(available_bytes: int, account: KvAccount) -> int:
    """vLLM get_num_blocks: available // page // group_size (= available // pool block)."""
    return int(available_bytes // account.pool_block_bytes)


def max_concurrency(num_blocks: int, account: KvAccount) -> float:
    """vLLM "Maximum concurrency for L tokens per request": pool blocks / blocks one request needs."""
    return num_blocks / account.blocks_per_session


def largest_context(arch: Architecture, kv_bytes: int, available_bytes: int, max_context: int,
                    mode: str = "paged", paging: Optional[Paging] = None) -> int:
    """The longest context one session can have within `available_bytes` (vLLM estimate_max_model_len);
    0 when not even one token fits. Bytes never decrease with the context, so bisection is exact."""
    def fits(context: int) -> bool:
        return kv_account(arch, context, kv_bytes, mode, paging).bytes_per_session <= available_bytes

    return largest_holding(1, max_context, fits) or 0
