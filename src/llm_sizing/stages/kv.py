"""KV bytes one session holds: `ideal` (exact bytes) or `paged` (how vLLM allocates). Pure.

ideal: the sum over layers of each cache spec's bytes_per_session(context).
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
Formulas and sources: docs/kv/README.md, docs/kv/paged.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Optional, Sequence

from ..model.caches import Paging
from ..units import ceil_div

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


Caches = Sequence[Sequence[object]]  # per decoder layer, the cache specs it keeps


def _counts(caches: Caches) -> Counter:
    counts: Counter = Counter()
    for layer in caches:
        for spec in layer:
            counts[spec] += 1
    return counts


def ideal_account(caches: Caches, context: int, kv_bytes: int, paging: Optional[Paging] = None) -> KvAccount:
    groups = tuple(
        KvGroup(spec, layers, spec.tokens_held(context), spec.bytes_per_token(kv_bytes),
                layers * spec.bytes_per_session(context, kv_bytes))
        for spec, layers in _counts(caches).items())
    return KvAccount("ideal", context, groups, sum(g.bytes_per_session for g in groups))


def _hybrid_blocks(specs, kv_bytes: int, block: int):
    """Block size per spec after vLLM's hybrid adjustments; state pages padded (see module doc)."""
    attention = [s for s in specs if not s.fixed_state]
    states = [s for s in specs if s.fixed_state]
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


def _uniform_type(specs, blocks) -> bool:
    """vLLM `UniformTypeKVCacheSpecs.is_uniform_type`: one block size and one kind of token budget
    (full attention with MLA and the indexer; one sliding window; one chunk; recurrent state)."""
    return len({blocks[s] for s in specs}) == 1 and len({s.pool_family for s in specs}) == 1


def paged_account(caches: Caches, context: int, kv_bytes: int, paging: Optional[Paging] = None) -> KvAccount:
    paging = paging or Paging()
    counts = Counter({spec: n for spec, n in _counts(caches).items() if spec.pool_family is not None})
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


#: the accounting modes (`--kv-accounting`)
ACCOUNTING = {"ideal": ideal_account, "paged": paged_account}


def kv_account(caches: Caches, context: int, kv_bytes: int, mode: str = "ideal",
               paging: Optional[Paging] = None) -> KvAccount:
    return ACCOUNTING[mode](caches, context, kv_bytes, paging)


def pool_blocks(available_bytes, account: KvAccount) -> int:
    """vLLM get_num_blocks: available // page // group_size (= available // pool block)."""
    return int(available_bytes // account.pool_block_bytes)


def max_concurrency(num_blocks: int, account: KvAccount) -> float:
    """vLLM "Maximum concurrency for L tokens per request": pool blocks / blocks one request needs."""
    return num_blocks / account.blocks_per_session


@dataclass(frozen=True)
class KvStage:
    """The KV stage of a sizing: one session's KV at the context used, and all sessions' KV."""

    account: KvAccount
    kv_precision: str
    kv_bytes_per_element: int
    concurrency: int
    assumptions: tuple[str, ...]  # config defaults the layer specs rest on
    findings: tuple

    @property
    def bytes_per_session(self) -> int:
        return self.account.bytes_per_session

    @property
    def total_bytes(self) -> int:
        return self.concurrency * self.account.bytes_per_session


def kv_stage(resolved) -> KvStage:
    """KV one session of the context used holds, in the scenario's accounting mode; the findings on
    the precision and on config defaults."""
    from .. import findings as f

    scenario, model = resolved.scenario, resolved.model
    arch = model.architecture
    account = kv_account(arch.caches, resolved.context_tokens, scenario.kv_bytes_per_element, scenario.kv_accounting,
                         scenario.paging)
    found = f.kv_precision_wide(scenario.kv_precision) + f.config_assumptions(arch.assumptions, model.name)
    return KvStage(account, scenario.kv_precision, scenario.kv_bytes_per_element, scenario.concurrency,
                   arch.assumptions, tuple(found))
