"""Parameter counts by component, from the model's `Architecture`. Pure.

    embeddings V x H (+ lm_head V x H unless tied)
    + per layer: H of norm per block it has (mixer, feed-forward) + the mixer's components + the
      feed-forward block's components
    + the final norm H
Each component says how a replica's GPUs share it (`layers.Component`). Formulas per layer kind
and sources: docs/weights.md. Vision encoders and multi-token-prediction layers are not counted
(`Architecture.not_counted` says so).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ArchitectureError
from .architecture import Architecture
from .layers import Component


@dataclass(frozen=True)
class ParameterCount:
    components: tuple[Component, ...]
    notes: tuple[str, ...]

    @property
    def total(self) -> int:
        return sum(c.params for c in self.components)

    def by_name(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.components:
            out[c.name] = out.get(c.name, 0) + c.params
        return out


def count_parameters(arch: Architecture) -> ParameterCount:
    """Parameters by component (summed over layers), or ArchitectureError naming what is missing."""
    if arch.parameter_problem:
        raise ArchitectureError(arch.parameter_problem)
    hidden, vocab = arch.hidden_size, arch.vocab_size
    parts: dict[tuple, int] = {}

    def add(items) -> None:
        for c in items:
            key = (c.name, c.split, c.stage, c.quantizable, c.kv_heads)
            parts[key] = parts.get(key, 0) + c.params

    add([Component("embeddings", vocab * hidden, "vocab", "first", quantizable=False)])
    if not arch.tie_word_embeddings:
        add([Component("lm_head", vocab * hidden, "vocab", "last", quantizable=False)])
    for layer in arch.layers:
        # a norm before each block the layer has (a hybrid's mixer-only or MLP-only layer has one)
        blocks = (layer.mixer.kind != "none") + (layer.ffn.kind != "none")
        add([Component("norms", blocks * hidden, "replicated", quantizable=False)])
        add(layer.mixer.parameters())
        add(layer.ffn.parameters())
    add([Component("norms", hidden, "replicated", quantizable=False)])
    add(arch.extra_components)
    components = tuple(Component(name, params, split, stage, quantizable, kv_heads)
                       for (name, split, stage, quantizable, kv_heads), params in parts.items())
    return ParameterCount(components, arch.not_counted)
