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
        },
        "catalog": {
            "model": entry_dict(sizing.model),
            "server": entry_dict(sizing.server),
            "storage": entry_dict(sizing.storage),
        },
        "kv_breakdown": [
            {
                "kind": group.spec.kind,
                "layers": group.layers,
                "tokens_held": group.tokens_held,
                "bytes_per_token_per_layer": group.bytes_per_token_per_layer,
                "bytes_per_session": group.bytes_per_session,
                "gib_per_session": bytes_to_gib(group.bytes_per_session),
            }
            for group in sizing.kv.groups
        ],
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
