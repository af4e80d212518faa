"""Sizing -> human-readable report: inputs, catalog entries used, the memory arithmetic step
by step, results, warnings. Tables by rich; a fixed width keeps the output stable."""

from __future__ import annotations

import io

from ..calculate import Sizing
from ..units import BYTES_PER_GB, bytes_to_gib

REPORT_WIDTH = 100
SEVERITY_MARK = {"info": "note", "warning": "WARNING", "error": "ERROR"}


def _int(n) -> str:
    return f"{int(n):,}"


def _g(x: float, digits: int = 3) -> str:
    return f"{x:,.{digits}f}"


def _ratio(x: float) -> str:
    return f"{x:.2f}"


def render_text(sizing: Sizing) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(file=buffer, width=REPORT_WIDTH, color_system=None, highlight=False, emoji=False)
    s, r, model, server, storage = sizing.scenario, sizing.results, sizing.model, sizing.server, sizing.storage
    budget, capacity = sizing.budget, sizing.capacity

    console.print("LLM inference sizing", style="bold")
    console.print()

    inputs = Table(title="Inputs", title_justify="left", show_header=False, box=None, padding=(0, 2))
    inputs.add_row("model", f"{model.name} ({model.display_name or model.hf_id or model.name})")
    inputs.add_row("server", f"{server.name} ({server.display_name or server.gpu_model or server.name})")
    inputs.add_row("storage", f"{storage.name} ({storage.display_name or storage.type})")
    inputs.add_row("concurrency", f"{_int(s.concurrency)} sessions")
    context = f"{_int(sizing.context_tokens_used)} tokens"
    if sizing.context_tokens_used != s.effective_context:
        context += f" (requested {_int(s.effective_context)}, clamped to max_position_embeddings)"
    inputs.add_row("effective context", context)
    inputs.add_row("KV precision", f"{s.kv_precision} ({s.kv_bytes_per_element} byte(s) per element)")
    inputs.add_row("KV budget ratio", _ratio(s.kv_budget_ratio))
    inputs.add_row("runtime overhead", f"{s.runtime_overhead_gib:g} GiB per node")
    inputs.add_row("peak headroom", _ratio(s.peak_headroom_ratio))
    inputs.add_row("high availability", s.ha)
    console.print(inputs)
    console.print()

    used = Table(title="Catalog entries used", title_justify="left", show_header=False, box=None,
                 padding=(0, 2))
    used.add_column("kind")
    used.add_column("entry", overflow="fold")
    counts = ", ".join(f"{n} {kind}" for kind, n in model.layer_counts().items())
    window = f", window {_int(model.sliding_window)} tokens" if model.sliding_window else ""
    used.add_row("model", f"{model.name}: {model.num_hidden_layers} layers ({counts}); {model.num_key_value_heads} "
                          f"KV heads x head_dim {model.head_dim}; max context "
                          f"{_int(model.max_position_embeddings)}{window}\nsource: {model.source}")
    nvlink = (f"; NVLink {server.nvlink_bandwidth_per_node_tb_s:g} TB/s"
              if server.nvlink_bandwidth_per_node_tb_s else "")
    used.add_row("server", f"{server.name}: {server.gpus_per_node} GPUs x {server.hbm_per_gpu_gb:g} GB HBM = "
                           f"{server.hbm_total_gb:g} GB{nvlink}\nsource: {server.source}")
    used.add_row("storage", f"{storage.name}: {storage.type}; read/write {_int(storage.read_iops)}/"
                            f"{_int(storage.write_iops)} IOPS, {storage.read_throughput_gb_s:g}/"
                            f"{storage.write_throughput_gb_s:g} GB/s, p99 {storage.read_latency_p99_ms:g}/"
                            f"{storage.write_latency_p99_ms:g} ms\nsource: {storage.source}")
    console.print(used)
    console.print()

    console.print("Memory arithmetic", style="bold")
    console.print("1. KV cache per session (sum over layer kinds; per token per layer = KV heads x "
                  "(K dim + V dim) x bytes):")
    for group in sizing.kv.groups:
        spec = group.spec
        console.print(
            f"   {spec.kind:<18} {group.layers:>3} layers x {_int(group.tokens_held):>9} tokens x "
            f"{spec.num_kv_heads} x ({spec.k_head_dim} + {spec.v_head_dim}) x {spec.bytes_per_element} B "
            f"= {_int(group.bytes_per_session)} B")
    console.print(f"   per session = {_int(r.kv_per_session_bytes)} B = {_g(r.kv_per_session_gib_exact, 6)} GiB")
    console.print(f"2. HBM per node = {server.gpus_per_node} x {server.hbm_per_gpu_gb:g} GB = "
                  f"{_int(budget.hbm_total_bytes / BYTES_PER_GB)} GB = {_g(r.hbm_total_gib)} GiB")
    console.print(f"3. KV budget = {_g(r.hbm_total_gib)} GiB x {_ratio(s.kv_budget_ratio)} - "
                  f"{s.runtime_overhead_gib:g} GiB = {_g(bytes_to_gib(budget.hbm_share_bytes))} - "
                  f"{s.runtime_overhead_gib:g} = {_g(r.kv_budget_gib)} GiB per node")
    if sizing.feasible:
        console.print(f"4. Sessions per node = floor({_g(r.kv_budget_gib)} / {_g(r.kv_per_session_gib_exact, 6)}) "
                      f"= {_int(r.sessions_per_node)}")
        console.print(f"5. Nodes minimum = ceil({_int(s.concurrency)} / {_int(r.sessions_per_node)}) "
                      f"= {r.nodes_minimum}")
        console.print(f"6. Nodes with headroom = ceil({_int(s.concurrency)} x (1 + {_ratio(s.peak_headroom_ratio)}) "
                      f"/ {_int(r.sessions_per_node)}) = ceil({float(capacity.demand_with_headroom_sessions):,g} / "
                      f"{_int(r.sessions_per_node)}) = {r.nodes_with_headroom}")
        console.print(f"7. Nodes final = {r.nodes_with_headroom} + {capacity.ha_extra_nodes} (ha {s.ha}) "
                      f"= {r.nodes_final}")
    else:
        console.print("4. Sessions per node = 0: the budget cannot hold one session; no node count exists")
    console.print(f"   KV total = {_int(s.concurrency)} x {_g(r.kv_per_session_gib_exact, 6)} GiB = "
                  f"{_g(r.kv_total_gib_exact)} GiB = {_g(r.kv_total_tib_exact, 4)} TiB")
    console.print()

    results = Table(title="Results", title_justify="left", padding=(0, 1), box=box.ASCII)
    results.add_column("result")
    results.add_column("value", justify="right")
    results.add_column("meaning")
    dash = "-"
    results.add_row("kv_per_session_gib", f"{r.kv_per_session_gib}", "KV cache per session, GiB")
    results.add_row("kv_total_tib", f"{r.kv_total_tib}", "KV cache for all sessions, TiB")
    results.add_row("sessions_per_node", _int(r.sessions_per_node), "sessions one node holds")
    results.add_row("nodes_minimum", dash if r.nodes_minimum is None else str(r.nodes_minimum), "pure capacity")
    results.add_row("nodes_with_headroom", dash if r.nodes_with_headroom is None else str(r.nodes_with_headroom),
                    "with peak headroom")
    results.add_row("nodes_final", dash if r.nodes_final is None else str(r.nodes_final), "with high availability")
    console.print(results)
    console.print()

    if sizing.findings:
        console.print("Warnings", style="bold")
        for finding in sizing.findings:
            console.print(f"- [{SEVERITY_MARK[finding.severity]}] {finding.code}: {finding.message}", markup=False)
            console.print(f"  remedy: {finding.remedy}", markup=False)
    else:
        console.print("Warnings: none")
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
