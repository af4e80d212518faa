"""Per-layer KV-cache specs: one small frozen class per kind of layer.

Each kind answers two questions (after vLLM's `vllm/v1/kv_cache_interface.py`):
  bytes_per_token()            K and V of one token in one layer
  tokens_held(context_tokens)  how many tokens one session keeps in that layer
A model is a tuple of (spec, layer count) groups; bytes per session is the sum over groups of
layers x tokens_held x bytes_per_token. Formulas and sources: docs/kv-cache.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .catalog import ModelEntry
from .errors import InputError


@dataclass(frozen=True)
class FullAttention:
    """MHA / GQA / MQA: every token of the context, K and V for each KV head."""

    num_kv_heads: int
    k_head_dim: int
    v_head_dim: int
    bytes_per_element: int

    kind = "full_attention"

    def bytes_per_token(self) -> int:
        return self.num_kv_heads * (self.k_head_dim + self.v_head_dim) * self.bytes_per_element

    def tokens_held(self, context_tokens: int) -> int:
        return context_tokens


@dataclass(frozen=True)
class SlidingWindow(FullAttention):
    """Sliding-window attention: at most the last `window_tokens` tokens."""

    window_tokens: int = 0

    kind = "sliding_attention"

    def tokens_held(self, context_tokens: int) -> int:
        return min(context_tokens, self.window_tokens)


def _full(model: ModelEntry, bytes_per_element: int) -> FullAttention:
    return FullAttention(model.num_key_value_heads, model.head_dim, model.head_dim, bytes_per_element)


def _sliding(model: ModelEntry, bytes_per_element: int) -> SlidingWindow:
    return SlidingWindow(model.num_key_value_heads, model.head_dim, model.head_dim, bytes_per_element,
                         window_tokens=model.sliding_window)


#: layer_types value -> spec builder
SPEC_BUILDERS: dict[str, Callable[[ModelEntry, int], FullAttention]] = {
    "full_attention": _full,
    "sliding_attention": _sliding,
}


@dataclass(frozen=True)
class KvGroup:
    """`layers` layers sharing one spec, and what one session of the given context holds there."""

    spec: FullAttention
    layers: int
    tokens_held: int
    bytes_per_token_per_layer: int
    bytes_per_session: int


@dataclass(frozen=True)
class KvAccount:
    groups: tuple[KvGroup, ...]
    context_tokens: int

    @property
    def bytes_per_session(self) -> int:
        return sum(group.bytes_per_session for group in self.groups)


def kv_groups(model: ModelEntry, bytes_per_element: int) -> tuple[tuple[FullAttention, int], ...]:
    """(spec, layer count) per layer kind, in order of first appearance."""
    groups = []
    for kind, count in model.layer_counts().items():
        builder = SPEC_BUILDERS.get(kind)
        if builder is None:
            raise InputError(f"model '{model.name}': layer kind '{kind}' has no KV spec; "
                             f"known kinds: {', '.join(SPEC_BUILDERS)}")
        groups.append((builder(model, bytes_per_element), count))
    return tuple(groups)


def kv_account(model: ModelEntry, context_tokens: int, bytes_per_element: int) -> KvAccount:
    groups = []
    for spec, layers in kv_groups(model, bytes_per_element):
        held = spec.tokens_held(context_tokens)
        per_token = spec.bytes_per_token()
        groups.append(KvGroup(spec, layers, held, per_token, layers * held * per_token))
    return KvAccount(tuple(groups), context_tokens)
