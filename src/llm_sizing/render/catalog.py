"""Catalog -> tables or JSON for `llm-sizing catalog list`."""

from __future__ import annotations

import io
from typing import Sequence

from .json import entry_dict


def _facts(entry) -> str:
    if entry.kind == "models":
        counts = ", ".join(f"{n} {kind}" for kind, n in entry.layer_counts().items())
        return f"{entry.num_hidden_layers} layers ({counts}), max context {entry.max_position_embeddings:,}"
    if entry.kind == "servers":
        return f"{entry.gpus_per_node} x {entry.hbm_per_gpu_gb:g} GB = {entry.hbm_total_gb:g} GB HBM"
    return (f"{entry.type}, {entry.read_iops:,}/{entry.write_iops:,} IOPS, "
            f"{entry.read_throughput_gb_s:g}/{entry.write_throughput_gb_s:g} GB/s")


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
