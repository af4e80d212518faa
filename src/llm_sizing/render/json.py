"""Sizing -> JSON document (a dict; `dumps` gives the text). Every figure is read from the stage
that computed it; nothing is recomputed here."""

from __future__ import annotations

import dataclasses
import json as _json
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..units import bytes_to_gib
from .commands import sglang_command, vllm_command

if TYPE_CHECKING:  # annotations only: rendering never runs the pipeline
    from ..pipeline import Sizing

CARD_KEYS = ("kv_per_session_gib", "kv_total_tib", "sessions_per_node", "nodes_minimum", "nodes_with_headroom",
             "nodes_final")


def entry_dict(entry) -> dict[str, Any]:
    data = dataclasses.asdict(entry)
    return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}


def finding_dict(finding) -> dict[str, Any]:
    return {"code": finding.code, "severity": finding.severity, "message": finding.message,
            "remedy": finding.remedy, "data": dict(finding.data)}


def _number(value):
    """Integers stay integers (1000, 120); other numbers as floats."""
    return int(value) if float(value).is_integer() else float(value)


def kv_group_dict(group) -> dict[str, Any]:
    row = {
        "kind": group.spec.kind,
        "layers": group.layers,
        "detail": group.spec.describe(),
        "tokens_held": group.tokens_held,
        "bytes_per_token_per_layer": group.bytes_per_token_per_layer,
        "bytes_per_session": group.bytes_per_session,
        "gib_per_session": bytes_to_gib(group.bytes_per_session),
    }
    if group.page_bytes is not None:
        row.update(block_tokens=group.block_tokens, page_bytes=group.page_bytes,
                   blocks_per_session_per_layer=group.blocks_per_session)
    return row


def kv_accounting_dict(sizing: Sizing) -> dict[str, Any]:
    kv, scenario = sizing.kv.account, sizing.scenario
    out: dict[str, Any] = {"mode": kv.mode}
    if kv.mode == "paged":
        out.update(block_size=scenario.block_size, max_num_batched_tokens=scenario.max_num_batched_tokens,
                   pool_block_bytes=kv.pool_block_bytes, blocks_per_session=kv.blocks_per_session,
                   vllm_group_size=kv.vllm_group_size, vllm_groups=kv.vllm_groups, padding_layers=kv.padding_layers)
    out["assumptions"] = list(sizing.kv.assumptions)
    return out


def _seed_memory(sizing: Sizing) -> dict[str, Any]:
    memory, scenario = sizing.memory, sizing.scenario
    return dict(kv_budget_ratio=scenario.kv_budget_ratio, hbm_share_gib=bytes_to_gib(memory.hbm_share_bytes),
                runtime_overhead_gib=_number(scenario.runtime_overhead_gib),
                kv_budget_bytes=int(memory.kv_pool_bytes_per_node))


def _physical_memory(sizing: Sizing) -> dict[str, Any]:
    # the KV pools of every GPU the node's replicas use (per GPU: physical.per_gpu)
    return dict(kv_budget_bytes=int(sizing.memory.kv_pool_bytes_per_node))


def _gib(value) -> float:
    return bytes_to_gib(value)


def _physical_block(sizing: Sizing) -> dict[str, Any]:
    memory = sizing.memory
    plan = memory.plan
    layout = plan.layout
    reserve = plan.reserve
    out: dict[str, Any] = {
        "layout": {"tensor_parallel": layout.tensor_parallel, "pipeline_parallel": layout.pipeline_parallel,
                   "data_parallel": layout.data_parallel, "expert_parallel": layout.expert_parallel,
                   "gpus_per_replica": layout.gpus_per_replica, "replicas_per_node": plan.replicas_per_node,
                   "description": layout.describe()},
        "per_gpu": {
            "gpu_memory_total_gib": _gib(plan.gpu_total_bytes),
            "gpu_memory_utilization": sizing.scenario.physical.gpu_memory_utilization,
            "budget_gib": None if plan.budget_bytes is None else _gib(plan.budget_bytes),
            "weights_gib": _gib(plan.weights_bytes_per_gpu),
            "weights_loading_gib": _gib(plan.weights_loading_bytes_per_gpu),
            "activation_peak_gib": None if reserve is None else _gib(reserve.activation_peak_bytes),
            "non_torch_gib": None if reserve is None else _gib(reserve.non_torch_bytes),
            "cuda_graphs_gib": None if reserve is None else _gib(reserve.cuda_graphs_bytes),
            "reserve_gib": None if reserve is None else _gib(reserve.total_bytes),
            "reserve_given": [] if reserve is None else list(reserve.given),
            "kv_pool_gib": _gib(plan.kv_pool_bytes_per_gpu),
            "kv_bytes_per_session": plan.kv_per_gpu.bytes_per_session,
            "num_blocks": plan.num_blocks_per_gpu,
        },
        "per_replica": {"kv_cache_tokens": plan.kv_cache_tokens, "max_concurrency": plan.max_concurrency,
                        "sessions": plan.sessions_per_replica, "bound_by": plan.bound_by},
        "weights": {
            "source": plan.weights_source,
            "format": plan.checkpoint.quantized.name,
            "format_source": plan.checkpoint.source,
            "total_gib": _gib(plan.weights_total_bytes),
            "components": [{"name": item.component.name, "params": item.component.params,
                            "format": item.format.name, "gib": _gib(item.bytes), "split": item.component.split}
                           for item in plan.weight_components],
            "notes": list(plan.notes),
        },
        "commands": ({"vllm": vllm_command(sizing), "sglang": sglang_command(sizing)} if plan.sessions_per_node > 0
                     else None),
    }
    if memory.alternatives:
        out["alternatives"] = [
            {"layout": o.plan.layout.describe(), "gpus_per_replica": o.plan.layout.gpus_per_replica,
             "kv_pool_gib_per_gpu": _gib(o.plan.kv_pool_bytes_per_gpu), "max_concurrency": o.plan.max_concurrency,
             "sessions_per_node": o.plan.sessions_per_node, "nodes_for_memory": o.capacity.nodes_final,
             "nodes_final": o.nodes_final, "chosen": o.plan is plan}
            for o in memory.alternatives]
    return out


#: per memory model: its fields of the `memory` block, and the blocks it adds to the document
MEMORY_FIELDS = {"seed": _seed_memory, "physical": _physical_memory}
MEMORY_BLOCKS = {"seed": lambda sizing: {}, "physical": lambda sizing: {"physical": _physical_block(sizing)}}


def memory_dict(sizing: Sizing) -> dict[str, Any]:
    """The node's KV budget as the memory model in use computed it."""
    memory = sizing.memory
    out: dict[str, Any] = {"rule": memory.name, "hbm_total_bytes": int(memory.hbm_total_bytes),
                           "hbm_total_gib": bytes_to_gib(memory.hbm_total_bytes)}
    out.update(MEMORY_FIELDS[memory.name](sizing))
    out["kv_budget_gib"] = bytes_to_gib(memory.kv_pool_bytes_per_node)
    return out


def sizing_dict(sizing: Sizing) -> dict[str, Any]:
    scenario, final = sizing.scenario, sizing.final_capacity
    return {
        "tool": {"name": "llm-sizing", "version": __version__},
        "inputs": {
            "model": scenario.model,
            "server": scenario.server,
            "storage": scenario.storage,
            "concurrency": scenario.concurrency,
            "effective_context": sizing.context_tokens_used,
            "effective_context_requested": scenario.effective_context,
            "effective_context_clamped": sizing.resolved.clamped,
            "kv_precision": scenario.kv_precision,
            "kv_bytes_per_element": scenario.kv_bytes_per_element,
            "kv_budget_ratio": scenario.kv_budget_ratio,
            "runtime_overhead_gib": _number(scenario.runtime_overhead_gib),
            "peak_headroom_ratio": scenario.peak_headroom_ratio,
            "ha": scenario.ha,
            "kv_accounting": scenario.kv_accounting,
            "block_size": scenario.block_size,
            "max_num_batched_tokens": scenario.max_num_batched_tokens,
            "memory_model": scenario.memory_model,
            # as asked (a --tensor-parallel auto request stays "auto"; physical.layout has the choice)
            "physical": None if scenario.physical is None else dataclasses.asdict(scenario.physical),
            "service": dataclasses.asdict(scenario.service),
        },
        "catalog": {
            "model": entry_dict(sizing.model),
            "server": entry_dict(sizing.server),
            "storage": entry_dict(sizing.resolved.storage),
        },
        "kv_accounting": kv_accounting_dict(sizing),
        "kv_breakdown": [kv_group_dict(group) for group in sizing.kv.account.groups],
        "memory": memory_dict(sizing),
        "capacity": {
            "demand_with_headroom_sessions": float(final.demand_with_headroom_sessions),
            "ha_extra_nodes": final.ha_extra_nodes,
        },
        "results": {k: v for k, v in dataclasses.asdict(sizing.results).items() if v is not None or k in CARD_KEYS},
        **MEMORY_BLOCKS[sizing.memory.name](sizing),
        "cost": dataclasses.asdict(sizing.cost),
        **({"performance": latency_dict(sizing)} if sizing.latency is not None else {}),
        "feasible": sizing.feasible,
        "warnings": [finding_dict(finding) for finding in sizing.findings],
    }


def _finite(value: Any) -> Any:
    """JSON has no Infinity or NaN: such numbers become null (the text says why)."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def dumps(document: Any) -> str:
    return _json.dumps(_finite(document), indent=2, ensure_ascii=False, allow_nan=False)


def fit_dict(fit) -> dict[str, Any]:
    key = "max_effective_context" if fit.unknown == "context" else "max_concurrency"
    return {"question": fit.unknown, "nodes": fit.nodes, key: fit.answer, "reason": fit.reason}


def step_dict(step) -> dict[str, Any]:
    """One engine step: its operators (name, class, count, kernels, bytes, FLOPs, ms, bound, efficiency),
    the GPU time (operators and launches), the engine's CPU share and the total."""
    shape = step.step
    return {
        "tokens": {"decode": shape.decode, "decode_context": shape.decode_context, "prefill": shape.prefill,
                   "prefill_start": shape.prefill_start},
        "ops": [{"name": op.name, "class": op.op_class, "count": op.count, "kernels": op.kernels, "bytes": op.bytes,
                 "flops": op.flops, "ms": op.ms, "bound": op.bound, "efficiency": op.efficiency} for op in step.ops],
        "launch_us_per_kernel": step.launch_us,
        "launches_ms": step.launches_ms,
        "kernels_ms": step.kernels_ms,
        "overhead_ms": step.overhead_ms,
        "total_ms": step.total_ms,
        "bound": step.bound,
        "notes": list(step.notes),
    }


def _profile_dict(profile) -> dict[str, Any]:
    return {"name": profile.name, "status": profile.status, "derived_from": profile.derived_from,
            "source": profile.source}


def _engine_dict(engine) -> dict[str, Any]:
    return {"name": engine.name, "step_overhead_ms": engine.step_overhead_ms, "per_sequence_us": engine.per_sequence_us,
            "request_overhead_ms": engine.request_overhead_ms, "source": engine.source}


def serving_dict(performance) -> dict[str, Any]:
    return {
        "mode": performance.mode,
        "batch": performance.concurrency,
        "input_tokens": performance.input_tokens,
        "output_tokens": performance.output_tokens,
        "ttft_ms": performance.ttft_ms,
        "tpot_ms": performance.tpot_ms,
        "queue_ms": performance.queue_ms,
        "prefill_steps": performance.prefill_steps,
        "prefill_share": performance.prefill_share,
        "output_tokens_per_s": performance.output_tokens_per_s,
        "output_tokens_per_s_per_session": performance.output_tokens_per_s_per_session,
        "decode_step": step_dict(performance.decode_step),
        "prefill": step_dict(performance.prefill_step),
        "notes": list(performance.notes),
    }


def latency_dict(sizing) -> dict[str, Any]:
    """The latency stage: the profile and engine used, the decode speed at the memory packing, the
    performance at the operating point and the targets."""
    latency = sizing.latency
    out: dict[str, Any] = {"profile": _profile_dict(latency.profile), "engine": _engine_dict(latency.engine)}
    packing = latency.packing
    if packing is not None:
        out["memory_packing"] = {
            "sessions_per_replica": packing.sessions_per_replica, "context_tokens": packing.context_tokens,
            "tpot_ms": packing.tpot_ms, "tokens_per_s_per_session": packing.tokens_per_s_per_session,
            "nodes_for_reading_speed": latency.readable_nodes, "decode_step": step_dict(packing.step)}
    if latency.performance is not None:
        out.update(serving_dict(latency.performance))
        out["operating_point"] = "requests in flight per replica when the concurrency spreads over nodes_final"
    if latency.slo is not None:
        out["slo"] = {"batch_per_replica": latency.slo.batch_per_replica,
                      "sessions_per_node": latency.slo.sessions_per_node,
                      "target_tpot_ms": sizing.scenario.service.target_tpot_ms,
                      "target_ttft_ms": sizing.scenario.service.target_ttft_ms}
    return out


def performance_dict(result) -> dict[str, Any]:
    layout, question = result.layout, result.question
    return {
        "tool": {"name": "llm-sizing", "version": __version__},
        "inputs": {"model": result.model.name, "server": result.server.name, "kv_precision": question.kv_precision,
                   "batch": question.batch, "mode": question.mode, "max_num_batched_tokens": question.max_num_batched_tokens,
                   "block_size": question.block_size, "physical": dataclasses.asdict(question.physical),
                   "service": dataclasses.asdict(question.service),
                   "layout": layout.describe()},
        "performance": {"profile": _profile_dict(result.profile), "engine": _engine_dict(result.engine),
                        **serving_dict(result.performance)},
        "memory": {"weights_gib_per_gpu": bytes_to_gib(result.memory.weights_bytes_per_gpu),
                   "kv_pool_gib_per_gpu": bytes_to_gib(result.memory.kv_pool_bytes_per_gpu),
                   "max_concurrency": result.memory.max_concurrency,
                   "fits": result.fits},
    }
