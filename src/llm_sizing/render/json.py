"""Sizing -> JSON document (a dict; `dumps` gives the text)."""

from __future__ import annotations

import dataclasses
import json as _json
from typing import Any

from .. import __version__
from ..calculate import Sizing
from ..units import bytes_to_gib


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
    kv, scenario = sizing.kv, sizing.scenario
    out: dict[str, Any] = {"mode": kv.mode}
    if kv.mode == "paged":
        out.update(block_size=scenario.block_size, max_num_batched_tokens=scenario.max_num_batched_tokens,
                   pool_block_bytes=kv.pool_block_bytes, blocks_per_session=kv.blocks_per_session,
                   vllm_group_size=kv.vllm_group_size, vllm_groups=kv.vllm_groups, padding_layers=kv.padding_layers)
    out["assumptions"] = list(sizing.model.architecture.assumptions)
    return out


def sizing_dict(sizing: Sizing) -> dict[str, Any]:
    scenario, budget, capacity = sizing.scenario, sizing.budget, sizing.capacity
    return {
        "tool": {"name": "llm-sizing", "version": __version__},
        "inputs": {
            "model": scenario.model,
            "server": scenario.server,
            "storage": scenario.storage,
            "concurrency": scenario.concurrency,
            "effective_context": sizing.context_tokens_used,
            "effective_context_requested": scenario.effective_context,
            "effective_context_clamped": sizing.context_tokens_used != scenario.effective_context,
            "kv_precision": scenario.kv_precision,
            "kv_bytes_per_element": scenario.kv_bytes_per_element,
            "kv_budget_ratio": scenario.kv_budget_ratio,
            "runtime_overhead_gib": _number(scenario.runtime_overhead_gib),
            "peak_headroom_ratio": scenario.peak_headroom_ratio,
            "ha": scenario.ha,
            "kv_accounting": scenario.kv_accounting,
            "block_size": scenario.block_size,
            "max_num_batched_tokens": scenario.max_num_batched_tokens,
        },
        "catalog": {
            "model": entry_dict(sizing.model),
            "server": entry_dict(sizing.server),
            "storage": entry_dict(sizing.storage),
        },
        "kv_accounting": kv_accounting_dict(sizing),
        "kv_breakdown": [kv_group_dict(group) for group in sizing.kv.groups],
        "memory": {
            "hbm_total_bytes": int(budget.hbm_total_bytes),
            "hbm_total_gib": sizing.results.hbm_total_gib,
            "kv_budget_ratio": scenario.kv_budget_ratio,
            "hbm_share_gib": bytes_to_gib(budget.hbm_share_bytes),
            "runtime_overhead_gib": _number(scenario.runtime_overhead_gib),
            "kv_budget_bytes": int(budget.kv_budget_bytes),
            "kv_budget_gib": sizing.results.kv_budget_gib,
        },
        "capacity": {
            "demand_with_headroom_sessions": float(capacity.demand_with_headroom_sessions),
            "ha_extra_nodes": capacity.ha_extra_nodes,
        },
        "results": dataclasses.asdict(sizing.results),
        "feasible": sizing.feasible,
        "warnings": [finding_dict(finding) for finding in sizing.findings],
    }


def dumps(document: Any) -> str:
    return _json.dumps(document, indent=2, ensure_ascii=False)


def fit_dict(fit) -> dict[str, Any]:
    key = "max_effective_context" if fit.question == "context" else "max_concurrency"
    return {"question": fit.question, "nodes": fit.nodes, key: fit.answer, "reason": fit.reason}
