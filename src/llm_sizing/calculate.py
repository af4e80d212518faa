"""Scenario + Catalog -> Sizing: the pure calculation. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from . import findings as f
from .accounting import KvAccount, kv_account
from .capacity import Capacity, nodes_for, plan_capacity
from .catalog import Catalog, ModelEntry, ServerEntry, StorageProfile
from .kv import Paging
from .memory import NodeBudget, seed_node_budget
from .scenario import Scenario
from .units import bytes_to_gib, bytes_to_tib, display_round


@dataclass(frozen=True)
class Results:
    """The card's six results (display-rounded) and the exact values beside them."""

    kv_per_session_gib: float
    kv_total_tib: float
    sessions_per_node: int
    nodes_minimum: Optional[int]
    nodes_with_headroom: Optional[int]
    nodes_final: Optional[int]
    kv_per_session_bytes: int
    kv_per_session_gib_exact: float
    kv_total_bytes: int
    kv_total_gib_exact: float
    kv_total_tib_exact: float
    hbm_total_gib: float
    kv_budget_gib: float
    # physical memory model only (None under the seed's rule)
    weights_gib_per_gpu: Optional[float] = None
    reserve_gib_per_gpu: Optional[float] = None
    kv_pool_gib_per_gpu: Optional[float] = None
    kv_cache_tokens: Optional[int] = None  # per replica
    max_concurrency: Optional[float] = None  # per replica, sessions of the effective context
    gpus_per_replica: Optional[int] = None
    replicas_per_node: Optional[int] = None


@dataclass(frozen=True)
class Sizing:
    scenario: Scenario  # as requested
    model: ModelEntry
    server: ServerEntry
    storage: StorageProfile
    context_tokens_used: int  # after clamping to max_position_embeddings
    kv: KvAccount
    budget: NodeBudget
    capacity: Capacity
    results: Results
    findings: tuple[f.Finding, ...]
    physical: Optional["PhysicalPlan"] = None  # noqa: F821 (physical.PhysicalPlan, imported when used)
    layout_alternatives: tuple = ()  # (PhysicalPlan, Capacity) per layout tried by --tensor-parallel auto

    @property
    def feasible(self) -> bool:
        return self.capacity.sessions_per_node > 0


def paging_of(scenario: Scenario) -> Paging:
    return Paging(block_tokens=scenario.block_size, max_num_batched_tokens=scenario.max_num_batched_tokens)


def session_kv(model: ModelEntry, scenario: Scenario, context: int) -> KvAccount:
    """KV one session of `context` tokens holds, in the scenario's accounting mode."""
    return kv_account(model.architecture, context, scenario.kv_bytes_per_element, scenario.kv_accounting,
                      paging_of(scenario))


def size(scenario: Scenario, catalog: Optional[Catalog] = None) -> Sizing:
    """Size the fleet for `scenario`. Without a catalog, the built-in one plus LLM_SIZING_CATALOG."""
    if catalog is None:
        from .catalog import load_catalog

        catalog = load_catalog()
    model = catalog.model(scenario.model)
    server = catalog.server(scenario.server)
    storage = catalog.storage_profile(scenario.storage)

    context = min(scenario.effective_context, model.max_position_embeddings)
    kv = session_kv(model, scenario, context)
    budget = seed_node_budget(server, scenario.kv_budget_ratio, scenario.runtime_overhead_gib)
    per_session = kv.bytes_per_session
    plan, alternatives = None, ()
    if scenario.memory_model == "physical":
        plan, capacity, alternatives = _physical(model, server, scenario, context)
    else:
        capacity = plan_capacity(scenario.concurrency, per_session, budget.kv_budget_bytes,
                                 scenario.peak_headroom_ratio, scenario.ha)
    total = scenario.concurrency * per_session
    physical_results = {}
    if plan is not None:
        pool = plan.kv_pool_bytes_per_gpu
        physical_results = dict(
            weights_gib_per_gpu=bytes_to_gib(plan.weights_bytes_per_gpu),
            reserve_gib_per_gpu=bytes_to_gib(plan.reserve.total_bytes) if plan.reserve else None,
            kv_pool_gib_per_gpu=bytes_to_gib(pool),
            kv_cache_tokens=plan.kv_cache_tokens, max_concurrency=plan.max_concurrency,
            gpus_per_replica=plan.layout.gpus_per_replica, replicas_per_node=plan.replicas_per_node)
    node_pool = (plan.kv_pool_bytes_per_gpu * plan.layout.gpus_per_replica * plan.replicas_per_node
                 if plan is not None else budget.kv_budget_bytes)
    results = Results(
        kv_per_session_gib=display_round(bytes_to_gib(per_session)),
        kv_total_tib=display_round(bytes_to_tib(total)),
        sessions_per_node=capacity.sessions_per_node,
        nodes_minimum=capacity.nodes_minimum,
        nodes_with_headroom=capacity.nodes_with_headroom,
        nodes_final=capacity.nodes_final,
        kv_per_session_bytes=per_session,
        kv_per_session_gib_exact=bytes_to_gib(per_session),
        kv_total_bytes=total,
        kv_total_gib_exact=bytes_to_gib(total),
        kv_total_tib_exact=bytes_to_tib(total),
        hbm_total_gib=bytes_to_gib(budget.hbm_total_bytes),
        kv_budget_gib=bytes_to_gib(node_pool),
        **physical_results,
    )
    found = (
        f.context_clamped(scenario.effective_context, model.max_position_embeddings, model.name)
        + f.kv_precision_wide(scenario.kv_precision)
        + f.prefill_io_pressure(context, storage.type, storage.name)
        + f.hbm_budget_insufficient(results.kv_budget_gib, results.kv_per_session_gib_exact,
                                    capacity.sessions_per_node)
        + f.config_assumptions(model.architecture.assumptions, model.name)
        + (f.physical_findings(plan) if plan is not None else [])
    )
    return Sizing(scenario, model, server, storage, context, kv, budget, capacity, results, tuple(found),
                  plan, alternatives)


def _physical(model: ModelEntry, server: ServerEntry, scenario: Scenario, context: int):
    """The physical plan for the requested layout, or for --tensor-parallel auto the layout that
    needs the fewest nodes (ties: fewer GPUs per replica), with every alternative."""
    from .layout import Layout
    from .physical import candidate_layouts, plan_physical

    options = scenario.physical
    if options.tensor_parallel != "auto":
        layout = Layout(options.tensor_parallel, options.pipeline_parallel, options.data_parallel,
                        options.expert_parallel)
        plan = plan_physical(model, server, scenario, layout, context)
        return plan, _capacity(plan, scenario), ()
    tried = []
    for layout in candidate_layouts(model, server):
        plan = plan_physical(model, server, scenario, layout, context)
        tried.append((plan, _capacity(plan, scenario)))
    if not tried:
        from .errors import InputError

        raise InputError(f"no tensor-parallel layout of {model.name} fits a {server.name} node")
    feasible = [t for t in tried if t[1].nodes_final is not None]
    best = min(feasible or tried, key=lambda t: (t[1].nodes_final or 0, t[0].layout.gpus_per_replica))
    return best[0], best[1], tuple(tried)


def _capacity(plan, scenario: Scenario) -> Capacity:
    return nodes_for(scenario.concurrency, plan.sessions_per_node, scenario.peak_headroom_ratio, scenario.ha)
