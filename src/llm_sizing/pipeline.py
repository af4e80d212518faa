"""Scenario + Catalog -> Sizing: the stages in order, nothing else. Pure (the catalog is read by the
caller, or loaded here when none is given).

    resolve ─► kv ─► memory (the scenario's model: seed | physical) ─► capacity ─► latency ─► cost, storage

Each stage returns a frozen value holding its inputs, its equation's figures and its findings;
the card's flat `results` block is one view of them (`card_results`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from . import findings as f
from .catalog import Catalog
from .scenario import Scenario
from .stages.capacity import Capacity, capacity_stage
from .stages.cost import PowerCost, cost_stage
from .stages.kv import KvStage, kv_stage
from .stages.latency import Latency, latency_stage
from .stages.memory import memory_model
from .stages.resolve import Resolved, resolve
from .stages.storage import StorageCheck, storage_stage
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
    # service targets (None without targets)
    nodes_for_memory: Optional[int] = None
    nodes_for_slo: Optional[int] = None
    binding_constraint: Optional[str] = None  # "memory" | "latency"
    binding_margin_nodes: Optional[int] = None  # nodes_for_slo - nodes_for_memory (> 0: latency needs more)
    slo_batch_per_replica: Optional[int] = None
    # power and cost (None when the catalog lacks the figures)
    power_kw_per_node: Optional[float] = None
    power_kw_cluster: Optional[float] = None
    usd_per_hour: Optional[float] = None
    usd_per_million_output_tokens: Optional[float] = None
    output_tokens_per_s_per_session: Optional[float] = None


@dataclass(frozen=True)
class Sizing:
    """Every stage's value, the findings of all of them, and the card's view."""

    resolved: Resolved
    kv: KvStage
    memory: object  # SeedMemory | PhysicalMemory (stages.memory)
    capacity: Capacity  # the nodes memory alone needs
    latency: Optional[Latency]
    cost: PowerCost
    storage: StorageCheck
    findings: tuple[f.Finding, ...]
    results: Results

    @property
    def scenario(self) -> Scenario:
        return self.resolved.scenario

    @property
    def model(self):
        return self.resolved.model

    @property
    def server(self):
        return self.resolved.server

    @property
    def context_tokens_used(self) -> int:
        return self.resolved.context_tokens

    @property
    def final_capacity(self) -> Capacity:
        """The node counts the sizing ends with: memory's, or latency's when it binds."""
        return self.latency.final_capacity if self.latency is not None else self.capacity

    @property
    def feasible(self) -> bool:
        return self.final_capacity.sessions_per_node > 0


def size(scenario: Scenario, catalog: Optional[Catalog] = None) -> Sizing:
    """Size the fleet for `scenario`. Without a catalog, the built-in one plus LLM_SIZING_CATALOG."""
    if catalog is None:
        from .catalog import load_catalog

        catalog = load_catalog()
    resolved = resolve(scenario, catalog)
    kv = kv_stage(resolved)
    # every memory plan the scenario allows (one, or one per layout for --tensor-parallel auto), each
    # sized to the end (targets included); the best by final nodes, sessions, GPUs per replica
    tried = []
    for memory in memory_model(scenario.memory_model).choices(resolved, kv):
        capacity = capacity_stage(resolved, memory)
        latency = latency_stage(resolved, memory, capacity)
        tried.append((memory, capacity, latency, latency.final_capacity if latency is not None else capacity))
    auto = scenario.physical is not None and scenario.physical.tensor_parallel == "auto"
    if auto:
        from .stages.memory.physical import LayoutOption

        options = [LayoutOption(m.plan, c, fin) for m, c, _, fin in tried]
        index = min(range(len(tried)), key=lambda i: options[i].rank())
        memory, capacity, latency, final = tried[index]
        memory = memory.compared(options)
    else:
        memory, capacity, latency, final = tried[0]
    cost = cost_stage(resolved, final, latency)
    storage = storage_stage(resolved)
    stages = (resolved, kv, storage, memory, latency)
    found = f.ordered(finding for stage in stages if stage is not None for finding in stage.findings)
    results = card_results(kv, memory, final, latency, cost)
    return Sizing(resolved, kv, memory, capacity, latency, cost, storage, found, results)


def card_results(kv: KvStage, memory, final: Capacity, latency: Optional[Latency], cost: PowerCost) -> Results:
    """The card's flat `results` block: one view of the stages (sessions and nodes are the final ones)."""
    per_session, total = kv.bytes_per_session, kv.total_bytes
    fields = dict(memory.result_fields())
    if latency is not None and latency.slo is not None:
        fields.update(nodes_for_memory=latency.memory_capacity.nodes_final,
                      nodes_for_slo=latency.slo.capacity.nodes_final,
                      binding_constraint=latency.binding_constraint, binding_margin_nodes=latency.binding_margin_nodes,
                      slo_batch_per_replica=latency.slo.batch_per_replica)
    if latency is not None and latency.performance is not None:
        fields["output_tokens_per_s_per_session"] = latency.performance.output_tokens_per_s_per_session
    return Results(
        kv_per_session_gib=display_round(bytes_to_gib(per_session)),
        kv_total_tib=display_round(bytes_to_tib(total)),
        sessions_per_node=final.sessions_per_node,
        nodes_minimum=final.nodes_minimum,
        nodes_with_headroom=final.nodes_with_headroom,
        nodes_final=final.nodes_final,
        kv_per_session_bytes=per_session,
        kv_per_session_gib_exact=bytes_to_gib(per_session),
        kv_total_bytes=total,
        kv_total_gib_exact=bytes_to_gib(total),
        kv_total_tib_exact=bytes_to_tib(total),
        hbm_total_gib=bytes_to_gib(memory.hbm_total_bytes),
        kv_budget_gib=bytes_to_gib(memory.kv_pool_bytes_per_node),
        power_kw_per_node=cost.power_kw_per_node, power_kw_cluster=cost.power_kw_cluster,
        usd_per_hour=cost.usd_per_hour, usd_per_million_output_tokens=cost.usd_per_million_output_tokens,
        **fields,
    )
