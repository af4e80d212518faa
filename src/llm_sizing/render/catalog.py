"""Catalog -> tables or JSON for `llm-sizing catalog list`."""

from __future__ import annotations

import io
from typing import Sequence

from .json import entry_dict


def _model_facts(entry) -> str:
    counts = ", ".join(f"{n} {kind}" for kind, n in entry.layer_counts().items())
    return f"{entry.num_hidden_layers} layers ({counts}), max context {entry.max_position_embeddings:,}"


def _profile_facts(entry) -> str:
    derived = f" from {entry.derived_from}" if entry.derived_from else ""
    return f"{entry.gpu_model}: {entry.status}{derived}; engines: {', '.join(entry.engines or {}) or 'none fitted'}"


#: the key figures of each kind of entry
FACTS = {
    "models": _model_facts,
    "servers": lambda e: f"{e.gpus_per_node} x {e.hbm_per_gpu_gb:g} GB = {e.hbm_total_gb:g} GB HBM",
    "storage": lambda e: (f"{e.type}, {e.read_iops:,}/{e.write_iops:,} IOPS, "
                          f"{e.read_throughput_gb_s:g}/{e.write_throughput_gb_s:g} GB/s"),
    "profiles": _profile_facts,
}


def _facts(entry) -> str:
    return FACTS[entry.kind](entry)


def render_catalog_table(catalog, kinds: Sequence[str]) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(file=buffer, width=140, color_system=None, highlight=False, emoji=False)
    for kind in kinds:
        table = Table(title=kind, title_justify="left", padding=(0, 1), box=box.ASCII)
        for column in ("name", "aliases", "figures", "origin"):
            table.add_column(column, overflow="fold")
        for entry in catalog.entries(kind):
            table.add_row(entry.name, ", ".join(entry.aliases), _facts(entry), entry.origin)
        console.print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def catalog_json(catalog, kinds: Sequence[str]) -> dict:
    return {kind: [entry_dict(entry) for entry in catalog.entries(kind)] for kind in kinds}
