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
    slo: Optional["SloPlan"] = None  # noqa: F821 (service.SloPlan)
    performance: Optional["Performance"] = None  # noqa: F821 (performance.Performance) at the operating point
    memory_capacity: Optional[Capacity] = None  # node counts memory alone needs (with targets)

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
    slo, performance, memory_capacity, capacity, service_results = _service(model, server, scenario, context,
                                                                            plan, capacity)
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
        **service_results,
    )
    found = (
        f.context_clamped(scenario.effective_context, model.max_position_embeddings, model.name)
        + f.kv_precision_wide(scenario.kv_precision)
        + f.prefill_io_pressure(context, storage.type, storage.name)
        + f.hbm_budget_insufficient(results.kv_budget_gib, results.kv_per_session_gib_exact,
                                    capacity.sessions_per_node, scenario.memory_model)
        + f.config_assumptions(model.architecture.assumptions, model.name)
        + (f.physical_findings(plan) if plan is not None else [])
    )
    found += f.service_findings(slo, scenario)
    if plan is None:
        found += f.seed_overhead_below_weights(_weights_gib(model), scenario.runtime_overhead_gib, model.name)
    return Sizing(scenario, model, server, storage, context, kv, budget, capacity, results, tuple(found),
                  plan, alternatives, slo, performance, memory_capacity)


def _weights_gib(model: ModelEntry) -> Optional[float]:
    """The checkpoint's weights in GiB, when they can be counted (for the seed rule's sanity check)."""
    from .errors import ArchitectureError
    from .parameters import count_parameters
    from .weights import read_checkpoint_format, weight_bytes

    if model.checkpoint_total_bytes:
        return bytes_to_gib(model.checkpoint_total_bytes)
    try:
        counts = count_parameters(model.config, model.architecture, model.name)
        checkpoint = read_checkpoint_format(model.config, model.hf_quant_config, None, model.name)
    except ArchitectureError:
        return None
    return bytes_to_gib(sum(item.bytes for item in weight_bytes(counts, checkpoint)))


def _performance_basis(model, server, scenario, context, plan):
    """Layout, weight components and sessions per replica for the performance model: the physical
    plan's, or under the seed's rule one replica per node on the widest tensor-parallel layout."""
    if plan is not None:
        return plan.layout, plan.weight_components, plan.replicas_per_node, plan.sessions_per_replica
    import dataclasses

    from .physical import candidate_layouts, plan_physical

    layouts = candidate_layouts(model, server)
    if not layouts:
        return None
    layout = layouts[-1]
    physical = plan_physical(model, server, dataclasses.replace(scenario, memory_model="physical"), layout, context)
    return layout, physical.weight_components, server.gpus_per_node // layout.gpus_per_replica, None


def _service(model, server, scenario, context, plan, capacity):
    """(SloPlan, Performance at the operating point, memory-only capacity, final capacity, result fields).
    The final capacity is the larger node count of memory and latency; none when the targets cannot be met."""
    from .performance import Efficiency, evaluate
    from .service import Targets, operating_batch, power_and_cost, slo_plan

    options = scenario.service
    fields: dict = {}
    slo = performance = memory_capacity = None
    basis = None
    has_figures = bool(server.hbm_bandwidth_per_gpu_tb_s and server.bf16_dense_tflops_per_gpu)
    if options.has_targets and not has_figures:
        from .errors import InputError

        raise InputError(f"latency targets need the server's performance figures: '{server.name}' lacks "
                         f"hbm_bandwidth_per_gpu_tb_s or bf16_dense_tflops_per_gpu (add them in a user catalog)")
    if options.has_workload and has_figures and capacity.sessions_per_node > 0:
        basis = _performance_basis(model, server, scenario, context, plan)
    efficiency = Efficiency(options.mbu, options.mfu, options.comm_latency_us, options.layer_overhead_us)
    final = capacity
    if options.has_targets and basis is not None:
        layout, components, replicas, per_replica = basis
        per_replica = per_replica if per_replica is not None else capacity.sessions_per_node // max(replicas, 1)
        targets = Targets(options.input_tokens, options.output_tokens, options.target_tpot_ms, options.target_ttft_ms,
                          efficiency)
        slo = slo_plan(model, server, components, layout, scenario.kv_bytes_per_element, targets, per_replica,
                       replicas, scenario.max_num_batched_tokens, scenario.concurrency, scenario.peak_headroom_ratio,
                       scenario.ha)
        memory_capacity = capacity
        latency_binds = slo.batch_per_replica == 0 or (capacity.nodes_final is not None and
                                                       slo.capacity.nodes_final > capacity.nodes_final)
        final = slo.capacity if latency_binds else capacity
        margin = (slo.capacity.nodes_final - capacity.nodes_final
                  if slo.capacity.nodes_final is not None and capacity.nodes_final is not None else None)
        fields.update(nodes_for_memory=capacity.nodes_final, nodes_for_slo=slo.capacity.nodes_final,
                      binding_constraint="latency" if latency_binds else "memory", binding_margin_nodes=margin,
                      slo_batch_per_replica=slo.batch_per_replica)
    cluster_rate = None
    if basis is not None and final.nodes_final:
        layout, components, replicas, _ = basis
        batch = operating_batch(scenario.concurrency, final.nodes_final - final.ha_extra_nodes, replicas)
        performance = evaluate(model, server, components, layout, scenario.kv_bytes_per_element, batch,
                               options.input_tokens, options.output_tokens, scenario.max_num_batched_tokens,
                               efficiency)
        cluster_rate = performance.output_tokens_per_s_per_session * scenario.concurrency
        fields["output_tokens_per_s_per_session"] = performance.output_tokens_per_s_per_session
    money = power_and_cost(server, final.nodes_final, options.price_per_gpu_hour_usd, cluster_rate)
    fields.update(power_kw_per_node=money.power_kw_per_node, power_kw_cluster=money.power_kw_cluster,
                  usd_per_hour=money.usd_per_hour, usd_per_million_output_tokens=money.usd_per_million_output_tokens)
    return slo, performance, memory_capacity, final, fields


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
    base = Layout(1, options.pipeline_parallel, options.data_parallel, options.expert_parallel)
    for layout in candidate_layouts(model, server, base):
        plan = plan_physical(model, server, scenario, layout, context)
        tried.append((plan, _capacity(plan, scenario)))
    if not tried:
        from .errors import InputError

        raise InputError(f"no tensor-parallel degree makes a valid layout of {model.name} on {server.name} with "
                         f"pipeline {base.pipeline_parallel}, data-parallel {base.data_parallel}")
    feasible = [t for t in tried if t[1].nodes_final is not None]
    best = min(feasible or tried, key=lambda t: (t[1].nodes_final or 0, t[0].layout.gpus_per_replica))
    return best[0], best[1], tuple(tried)


def _capacity(plan, scenario: Scenario) -> Capacity:
    return nodes_for(scenario.concurrency, plan.sessions_per_node, scenario.peak_headroom_ratio, scenario.ha)


@dataclass(frozen=True)
class PerformanceResult:
    """`llm-sizing perf`: one replica at a fixed batch."""

    model: ModelEntry
    server: ServerEntry
    layout: object
    kv_precision: str
    max_num_batched_tokens: int
    efficiency: object
    performance: object
    memory: object  # the physical plan at input + output tokens of context


def performance_of(catalog: Catalog, model_name: str, server_name: str, kv_precision: str, batch: int,
                   physical, service, max_num_batched_tokens: int) -> PerformanceResult:
    """Evaluate one replica of the given layout at a fixed batch (no node counts)."""
    from .layout import Layout
    from .performance import Efficiency, evaluate
    from .physical import plan_physical

    model, server = catalog.model(model_name), catalog.server(server_name)
    context = service.input_tokens + service.output_tokens
    if context > model.max_position_embeddings:
        from .errors import InputError

        raise InputError(f"--input-tokens + --output-tokens ({context:,}) exceed {model.name}'s "
                         f"max_position_embeddings ({model.max_position_embeddings:,})")
    scenario = Scenario(model=model_name, server=server_name, storage=catalog.storage[0].name, concurrency=batch,
                        effective_context=context, kv_precision=kv_precision, memory_model="physical",
                        physical=physical, service=service, max_num_batched_tokens=max_num_batched_tokens)
    layout = Layout(physical.tensor_parallel, physical.pipeline_parallel, physical.data_parallel,
                    physical.expert_parallel)
    plan = plan_physical(model, server, scenario, layout, context)
    efficiency = Efficiency(service.mbu, service.mfu, service.comm_latency_us, service.layer_overhead_us)
    performance = evaluate(model, server, plan.weight_components, layout, scenario.kv_bytes_per_element, batch,
                           service.input_tokens, service.output_tokens, max_num_batched_tokens, efficiency)
    return PerformanceResult(model, server, layout, kv_precision, max_num_batched_tokens, efficiency, performance,
                             plan)
