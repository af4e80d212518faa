"""Sizing -> human-readable report: inputs, catalog entries used, the memory arithmetic step by step,
service, power and cost, results, warnings. Each equation is printed from the stage that owns it
(the KV stage, the memory model in use, the capacity memory needs, the latency stage), so a line
never pairs one stage's inputs with another's result. Tables by rich; a fixed width keeps the
output stable."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from ..units import BYTES_PER_GB, bytes_to_gib, bytes_to_tib
from .commands import sglang_command, vllm_command

if TYPE_CHECKING:  # annotations only: rendering never runs the pipeline
    from ..pipeline import Sizing

REPORT_WIDTH = 100
SEVERITY_MARK = {"info": "note", "warning": "WARNING", "error": "ERROR"}


def _int(n) -> str:
    return f"{int(n):,}"


def _g(x: float, digits: int = 3) -> str:
    return f"{x:,.{digits}f}"


def _ratio(x: float) -> str:
    return f"{x:.2f}"


def _console(buffer):
    from rich.console import Console

    return Console(file=buffer, width=REPORT_WIDTH, color_system=None, highlight=False, emoji=False)


class _PlainConsole:
    """A report of lines only (no tables): what rich's console would print without colour, without
    importing rich (a third of `perf`'s start-up)."""

    def __init__(self, buffer):
        self.buffer = buffer

    def print(self, text: str = "", style=None, markup: bool = True) -> None:
        self.buffer.write(f"{text}\n")


def _finish(buffer) -> str:
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _group_line(group, kv) -> str:
    spec = group.spec
    head = f"{spec.kind:<18} {group.layers:>3} layers x "
    if kv.mode == "paged" and group.page_bytes is not None:
        return (head + f"{_int(group.blocks_per_session)} blocks of {group.block_tokens} tokens x "
                       f"{_int(group.page_bytes)} B/page = {_int(group.bytes_per_session)} B\n      ({spec.describe()})")
    if group.tokens_held is None:
        return head + f"{_int(group.bytes_per_session // group.layers)} B state = " \
                      f"{_int(group.bytes_per_session)} B\n      ({spec.describe()})"
    return (head + f"{_int(group.tokens_held):>9} tokens x {_int(group.bytes_per_token_per_layer)} B = "
                   f"{_int(group.bytes_per_session)} B\n      ({spec.describe()})")


def _kv_steps(console, sizing: Sizing) -> None:
    s, kv = sizing.scenario, sizing.kv.account
    if kv.mode == "ideal":
        console.print("1. KV cache per session, exact bytes (per layer kind: layers x tokens held x bytes per token):")
    else:
        console.print(f"1. KV cache per session, paged as vLLM allocates (blocks of {s.block_size} tokens, "
                      f"{_int(s.max_num_batched_tokens)} batched tokens per step):")
    for group in kv.groups:
        console.print(f"   {_group_line(group, kv)}", markup=False)
    if kv.mode == "paged":
        console.print(f"   vLLM pool: groups of {kv.vllm_group_size} layers x {kv.vllm_groups} groups "
                      f"({kv.padding_layers} padding layers); one pool block = {_int(kv.pool_block_bytes)} B; "
                      f"{_int(kv.blocks_per_session)} blocks per session")
    console.print(f"   per session = {_int(kv.bytes_per_session)} B = {_g(bytes_to_gib(kv.bytes_per_session), 6)} GiB")
    for assumption in sizing.kv.assumptions:
        console.print(f"   (assumed: {assumption})", markup=False)


def _seed_steps(console, sizing: Sizing) -> None:
    s, server, memory, capacity = sizing.scenario, sizing.server, sizing.memory, sizing.capacity
    hbm_gib, budget_gib = bytes_to_gib(memory.hbm_total_bytes), bytes_to_gib(memory.kv_pool_bytes_per_node)
    per_session_gib = bytes_to_gib(memory.kv_per_session_bytes)
    console.print(f"2. HBM per node = {server.gpus_per_node} x {server.hbm_per_gpu_gb:g} GB = "
                  f"{_int(memory.hbm_total_bytes / BYTES_PER_GB)} GB = {_g(hbm_gib)} GiB")
    console.print(f"3. KV budget = {_g(hbm_gib)} GiB x {_ratio(s.kv_budget_ratio)} - "
                  f"{s.runtime_overhead_gib:g} GiB = {_g(bytes_to_gib(memory.hbm_share_bytes))} - "
                  f"{s.runtime_overhead_gib:g} = {_g(budget_gib)} GiB per node")
    if memory.sessions_per_node == 0:
        console.print("4. Sessions per node = 0: the budget cannot hold one session; no node count exists")
        return
    console.print(f"4. Sessions per node = floor({_g(budget_gib)} / {_g(per_session_gib, 6)}) "
                  f"= {_int(memory.sessions_per_node)}")
    console.print(f"5. Nodes minimum = ceil({_int(s.concurrency)} / {_int(capacity.sessions_per_node)}) "
                  f"= {capacity.nodes_minimum}")
    console.print(f"6. Nodes with headroom = ceil({_int(s.concurrency)} x (1 + {_ratio(s.peak_headroom_ratio)}) "
                  f"/ {_int(capacity.sessions_per_node)}) = ceil({float(capacity.demand_with_headroom_sessions):,g} / "
                  f"{_int(capacity.sessions_per_node)}) = {capacity.nodes_with_headroom}")
    console.print(f"7. Nodes final = {capacity.nodes_with_headroom} + {capacity.ha_extra_nodes} (ha {s.ha}) "
                  f"= {capacity.nodes_final}")


def _physical_steps(console, sizing: Sizing) -> None:
    memory, s, capacity = sizing.memory, sizing.scenario, sizing.capacity
    plan = memory.plan
    gib = bytes_to_gib
    layout = plan.layout
    console.print(f"2. Physical memory per GPU, layout {layout.describe()} ({layout.gpus_per_replica} GPU(s) per "
                  f"replica, {plan.replicas_per_node} replica(s) per node):")
    if plan.budget_bytes is not None:
        console.print(f"   budget  = {_g(gib(plan.gpu_total_bytes))} GiB x {s.physical.gpu_memory_utilization:g} "
                      f"= {_g(gib(plan.budget_bytes))} GiB")
    console.print(f"   weights = {_g(gib(plan.weights_bytes_per_gpu))} GiB per GPU ({plan.checkpoint.quantized.name}; "
                  f"{_g(gib(plan.weights_total_bytes))} GiB in all; {plan.weights_source})", markup=False)
    if plan.weights_loading_bytes_per_gpu != plan.weights_bytes_per_gpu:
        console.print(f"   (vLLM will print 'Model loading took {_g(gib(plan.weights_loading_bytes_per_gpu), 2)} GiB': "
                      f"it holds transient copies while loading)")
    if plan.reserve is not None:
        reserve = plan.reserve
        console.print(f"   reserve = activation peak {_g(gib(reserve.activation_peak_bytes))} + non-torch "
                      f"{_g(gib(reserve.non_torch_bytes))} + CUDA graphs {_g(gib(reserve.cuda_graphs_bytes))} "
                      f"= {_g(gib(reserve.total_bytes))} GiB")
        console.print(f"   KV pool = {_g(gib(plan.budget_bytes))} - {_g(gib(plan.weights_bytes_per_gpu))} - "
                      f"{_g(gib(reserve.total_bytes))} = {_g(gib(plan.kv_pool_bytes_per_gpu))} GiB per GPU")
    else:
        console.print(f"   KV pool = {_g(gib(plan.kv_pool_bytes_per_gpu))} GiB per GPU (--kv-cache-memory-gib)")
    kv = plan.kv_per_gpu
    console.print(f"3. Per replica: {_int(plan.num_blocks_per_gpu)} blocks of {_int(kv.pool_block_bytes)} B; one "
                  f"{_int(sizing.context_tokens_used)}-token session needs {_int(kv.blocks_per_session)} blocks; "
                  f"KV cache {_int(plan.kv_cache_tokens)} tokens; maximum concurrency {plan.max_concurrency:,.2f}")
    console.print(f"   sessions per replica = {_int(plan.sessions_per_replica)} (bound by {plan.bound_by}); "
                  f"per node = {plan.replicas_per_node} x {_int(plan.sessions_per_replica)} = "
                  f"{_int(plan.sessions_per_node)}")
    if capacity.nodes_final is not None:
        console.print(f"4. Nodes: minimum ceil({_int(s.concurrency)} / {_int(capacity.sessions_per_node)}) = "
                      f"{capacity.nodes_minimum}; with headroom ceil({float(capacity.demand_with_headroom_sessions):,g} / "
                      f"{_int(capacity.sessions_per_node)}) = {capacity.nodes_with_headroom}; final + "
                      f"{capacity.ha_extra_nodes} (ha {s.ha}) = {capacity.nodes_final}")
    if memory.alternatives:
        console.print("   layouts compared (--tensor-parallel auto: fewest final nodes, then most sessions per node, "
                      "then fewest GPUs per replica):")
    for option in memory.alternatives:
        alt = option.plan
        mark = "*" if alt is plan else " "
        nodes = "-" if option.nodes_final is None else option.nodes_final
        console.print(f"   {mark} {alt.layout.describe():<10} KV pool {_g(gib(alt.kv_pool_bytes_per_gpu), 1):>9} GiB/GPU, "
                      f"{_int(alt.sessions_per_node):>7} sessions/node, {nodes} nodes")
    if plan.sessions_per_node > 0:
        console.print("   vLLM:   " + vllm_command(sizing), markup=False, soft_wrap=True)
        console.print("   SGLang: " + sglang_command(sizing), markup=False, soft_wrap=True)
    else:
        console.print("   no engine command: this plan cannot start (see the warnings)")


#: the memory arithmetic of each memory model (stages.memory), and the inputs it uses
MEMORY_STEPS = {"seed": _seed_steps, "physical": _physical_steps}


def _physical_inputs(s) -> list[tuple[str, str]]:
    p = s.physical
    layout = "auto" if p.tensor_parallel == "auto" else f"TP{p.tensor_parallel}"
    layout += "".join(f" x {name}{value}" for name, value in (("PP", p.pipeline_parallel), ("DP", p.data_parallel))
                      if value > 1) + (" x EP" if p.expert_parallel else "")
    memory = (f"{p.kv_cache_memory_gib:g} GiB of KV cache per GPU (given)" if p.kv_cache_memory_gib is not None
              else f"{p.gpu_memory_utilization:g} of each GPU's memory")
    return [("memory model", "physical (weights, the engine's reserve and the KV pool per GPU)"),
            ("layout", layout), ("GPU memory", memory), ("max sequences", f"{p.max_num_seqs:,} per engine")]


MEMORY_INPUTS = {
    "seed": lambda s: [("KV budget ratio", _ratio(s.kv_budget_ratio)),
                       ("runtime overhead", f"{s.runtime_overhead_gib:g} GiB per node")],
    "physical": _physical_inputs,
}


def _wrapped(console, text: str, indent: int = 3, hanging: int = 2) -> None:
    """One logical line, wrapped at the report width with a hanging indent (never mid-word)."""
    import textwrap

    glued = re.sub(r"(\d) (ms|us|GiB|kW|tokens/s)\b", "\\1\0\\2", text)  # a number keeps its unit
    for line in textwrap.wrap(glued, width=REPORT_WIDTH - 1, initial_indent=" " * indent,
                              subsequent_indent=" " * (indent + hanging), break_on_hyphens=False):
        console.print(line.replace("\0", " "), markup=False)


def _step_lines(console, label: str, step) -> None:
    _wrapped(console, f"{label} = operators {step.kernels_ms - step.launches_ms:,.2f} + launches "
                      f"{step.launches_ms:,.2f} ({sum(op.kernels for op in step.ops):,} kernels) + engine "
                      f"{step.overhead_ms:,.2f} = {step.total_ms:,.2f} ms, {step.bound}-bound")
    top = ", ".join(f"{op.name} {op.ms:,.2f} ms" for op in step.top(5))
    _wrapped(console, f"most expensive: {top}", indent=5)


def _profile_line(console, profile, engine) -> None:
    status = f"an estimate from {profile.derived_from}" if profile.derived_from else profile.status
    _wrapped(console, f"profile {profile.name} ({status}); engine {engine.name}: {engine.step_overhead_ms:g} ms per "
                      f"step + {engine.per_sequence_us:g} us per sequence, {engine.request_overhead_ms:g} ms per "
                      f"request ({engine.source})")


def _serving_lines(console, perf) -> None:
    ttft = "not reached (no room for prefill)" if perf.ttft_ms == float("inf") else f"{perf.ttft_ms:,.1f} ms"
    queue = f"queue {perf.queue_ms:,.1f} ms, " if perf.mode == "closed_loop" else ""
    _wrapped(console, f"TTFT {ttft} ({queue}{perf.prefill_steps} prefill step(s)); TPOT {perf.tpot_ms:,.2f} ms; "
                      f"{perf.output_tokens_per_s_per_session:,.1f} tokens/s per session, "
                      f"{perf.output_tokens_per_s:,.0f} tokens/s per replica")
    _step_lines(console, "decode step", perf.decode_step)
    _step_lines(console, "prompt step", perf.prefill_step)


def _service_lines(console, sizing) -> None:
    s, latency, cost = sizing.scenario, sizing.latency, sizing.cost
    console.print("Service, power and cost", style="bold")
    if latency is not None:
        _profile_line(console, latency.profile, latency.engine)
        packing = latency.packing
        if packing is not None:
            _wrapped(console, f"decode at the memory packing ({_int(packing.sessions_per_replica)} sessions per "
                              f"replica of {_int(packing.context_tokens)} tokens): TPOT {packing.tpot_ms:,.2f} ms = "
                              f"{packing.tokens_per_s_per_session:,.1f} tokens/s per session")
    if latency is not None and latency.slo is not None:
        slo = latency.slo
        wanted = ", ".join(f"{name} <= {value:g} ms" for name, value in
                           (("TPOT", s.service.target_tpot_ms), ("TTFT", s.service.target_ttft_ms)) if value is not None)
        _wrapped(console, f"targets: {wanted} ({s.service.input_tokens:,} in / {s.service.output_tokens:,} out): "
                          f"largest batch per replica {slo.batch_per_replica}, {_int(slo.sessions_per_node)} sessions "
                          f"per node")
        margin = "" if latency.binding_margin_nodes is None else f" (by {abs(latency.binding_margin_nodes)} node(s))"
        console.print(f"   nodes for memory {latency.memory_capacity.nodes_final}, for the targets "
                      f"{slo.capacity.nodes_final}: {latency.binding_constraint} binds{margin}")
    if latency is not None and latency.performance is not None:
        console.print(f"   at the planned load ({latency.performance.batch} requests in flight per replica):")
        _serving_lines(console, latency.performance)
    if cost.power_kw_cluster is not None:
        source = "" if cost.power_source == "catalog node power" else f" ({cost.power_source})"
        console.print(f"   power: {cost.power_kw_per_node:g} kW per node x {cost.nodes} = "
                      f"{cost.power_kw_cluster:,.1f} kW{source}")
    if cost.usd_per_hour is not None:
        per_million = (f"; ${cost.usd_per_million_output_tokens:,.3f} per million output tokens"
                       if cost.usd_per_million_output_tokens is not None else "")
        console.print(f"   cost: ${cost.usd_per_hour:,.2f} per hour{per_million}")
    console.print()


def render_performance(result) -> str:
    buffer = io.StringIO()
    console = _PlainConsole(buffer)
    perf, layout = result.performance, result.layout
    mode = "requests in flight" if perf.mode == "closed_loop" else "fixed batch"
    console.print("LLM inference performance (one replica)", style="bold")
    _wrapped(console, f"{result.model.name} on {result.server.name}, {layout.describe()}, KV "
                      f"{result.question.kv_precision}; {mode} {perf.batch}, {perf.input_tokens:,} in / "
                      f"{perf.output_tokens:,} out")
    _profile_line(console, result.profile, result.engine)
    _serving_lines(console, perf)
    memory = result.memory
    fits = "fits" if result.fits else "does NOT fit"
    _wrapped(console, f"memory: the batch {fits} (KV pool {bytes_to_gib(memory.kv_pool_bytes_per_gpu):,.1f} GiB per "
                      f"GPU holds {memory.max_concurrency:,.1f} sessions of {perf.input_tokens + perf.output_tokens:,} "
                      f"tokens)")
    for note in perf.notes + perf.decode_step.notes:
        _wrapped(console, f"note: {note}")
    return _finish(buffer)


def _inputs_table(sizing: Sizing):
    from rich.table import Table

    s, model, server, storage = sizing.scenario, sizing.model, sizing.server, sizing.resolved.storage
    inputs = Table(title="Inputs", title_justify="left", show_header=False, box=None, padding=(0, 2))
    inputs.add_row("model", f"{model.name} ({model.display_name or model.hf_id or model.name})")
    inputs.add_row("server", f"{server.name} ({server.display_name or server.gpu_model or server.name})")
    inputs.add_row("storage", f"{storage.name} ({storage.display_name or storage.type})")
    inputs.add_row("concurrency", f"{_int(s.concurrency)} sessions")
    context = f"{_int(sizing.context_tokens_used)} tokens"
    if sizing.resolved.clamped:
        context += f" (requested {_int(s.effective_context)}, clamped to max_position_embeddings)"
    inputs.add_row("effective context", context)
    inputs.add_row("KV precision", f"{s.kv_precision} ({s.kv_bytes_per_element} byte(s) per element)")
    inputs.add_row("KV accounting", s.kv_accounting if s.kv_accounting == "ideal" else
                   f"paged (block {s.block_size} tokens, {_int(s.max_num_batched_tokens)} batched tokens)")
    for label, value in MEMORY_INPUTS[sizing.memory.name](s):
        inputs.add_row(label, value)
    inputs.add_row("peak headroom", _ratio(s.peak_headroom_ratio))
    inputs.add_row("high availability", s.ha)
    return inputs


def _catalog_table(sizing: Sizing):
    from rich.table import Table

    model, server, storage = sizing.model, sizing.server, sizing.resolved.storage
    used = Table(title="Catalog entries used", title_justify="left", show_header=False, box=None, padding=(0, 2))
    used.add_column("kind")
    used.add_column("entry", overflow="fold")
    counts = ", ".join(f"{n} {kind}" for kind, n in model.layer_counts().items())
    used.add_row("model", f"{model.name}: {model.num_hidden_layers} layers ({counts}); max context "
                          f"{_int(model.max_position_embeddings)}\nsource: {model.source}")
    nvlink = (f"; NVLink {server.nvlink_bandwidth_per_node_tb_s:g} TB/s"
              if server.nvlink_bandwidth_per_node_tb_s else "")
    used.add_row("server", f"{server.name}: {server.gpus_per_node} GPUs x {server.hbm_per_gpu_gb:g} GB HBM = "
                           f"{server.hbm_total_gb:g} GB{nvlink}\nsource: {server.source}")
    used.add_row("storage", f"{storage.name}: {storage.type}; read/write {_int(storage.read_iops)}/"
                            f"{_int(storage.write_iops)} IOPS, {storage.read_throughput_gb_s:g}/"
                            f"{storage.write_throughput_gb_s:g} GB/s, p99 {storage.read_latency_p99_ms:g}/"
                            f"{storage.write_latency_p99_ms:g} ms\nsource: {storage.source}")
    return used


def _results_table(sizing: Sizing):
    from rich import box
    from rich.table import Table

    r = sizing.results
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
    return results


def render_text(sizing: Sizing) -> str:
    buffer = io.StringIO()
    console = _console(buffer)
    s, kv = sizing.scenario, sizing.kv

    console.print("LLM inference sizing", style="bold")
    console.print()
    console.print(_inputs_table(sizing))
    console.print()
    console.print(_catalog_table(sizing))
    console.print()

    console.print("Memory arithmetic", style="bold")
    _kv_steps(console, sizing)
    MEMORY_STEPS[sizing.memory.name](console, sizing)
    console.print(f"   KV total = {_int(s.concurrency)} x {_g(bytes_to_gib(kv.bytes_per_session), 6)} GiB = "
                  f"{_g(bytes_to_gib(kv.total_bytes))} GiB = {_g(bytes_to_tib(kv.total_bytes), 4)} TiB")
    console.print()

    if sizing.latency is not None or sizing.cost.power_kw_cluster is not None:
        _service_lines(console, sizing)
    console.print(_results_table(sizing))
    console.print()

    if sizing.findings:
        console.print("Warnings", style="bold")
        for finding in sizing.findings:
            console.print(f"- [{SEVERITY_MARK[finding.severity]}] {finding.code}: {finding.message}", markup=False)
            console.print(f"  remedy: {finding.remedy}", markup=False)
    else:
        console.print("Warnings: none")
    return _finish(buffer)


def render_fit(fit) -> str:
    if fit.unknown == "context":
        scenario_text = f"largest effective context at which the sessions fit on {fit.nodes} node(s)"
        answer = "none" if fit.answer is None else f"{fit.answer:,} tokens"
    else:
        scenario_text = f"most sessions that fit on {fit.nodes} node(s)"
        answer = "none" if fit.answer is None else f"{fit.answer:,} sessions"
    return f"Fit: {scenario_text}: {answer}\n  ({fit.reason})\n\n"
