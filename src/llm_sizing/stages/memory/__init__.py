"""Memory models: how many sessions of the context one node's memory holds. One class per model,
one interface, chosen once (`memory_model`):

    Model.build(resolved, kv) -> the stage value
    .hbm_total_bytes          the node's HBM (vendor decimal GB)
    .kv_pool_bytes_per_node   the KV cache the node holds
    .sessions_per_node        sessions of the context used
    .layout                   the parallel layout (None under the seed's rule)
    .findings
    .serving(resolved)        what the performance model runs (layout, weights, replicas)

`seed`: the card's rule (seed.py); `physical`: weights, layout and the engine's reserve per GPU,
as vLLM accounts them (physical.py, imported only when used).
"""

from __future__ import annotations

import importlib

MEMORY_MODELS = {
    "seed": ("seed", "SeedMemory", "the card's rule: HBM x ratio - overhead per node"),
    "physical": ("physical", "PhysicalMemory", "per GPU, weights from the checkpoint, the layout and the "
                                               "engine's reserve, as vLLM accounts them"),
}


def memory_model(name: str):
    """The class of the memory model called `name`."""
    module, cls, _ = MEMORY_MODELS[name]
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)
