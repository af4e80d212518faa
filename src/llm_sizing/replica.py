"""PerfQuestion + Catalog -> ReplicaPerformance: one replica of a fixed layout serving a batch
(`llm-sizing perf`): in a closed loop of `batch` requests in flight (as serving benchmarks measure
it), or as one fixed batch prefilled then decoded together; with the memory plan of that layout at
the workload's context (does the batch fit?). Pure, like the pipeline."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError
from .scenario import PerfQuestion
from .stages.latency.engines import EngineTerms, engine_terms
from .stages.latency.serving import ServingPerformance, closed_loop, fixed_batch
from .stages.memory.layout import Layout
from .stages.memory.physical import PhysicalPlan, plan_physical

MODES = {"closed-loop": closed_loop, "fixed-batch": fixed_batch}


@dataclass(frozen=True)
class ReplicaPerformance:
    question: PerfQuestion
    model: object  # catalog.ModelEntry
    server: object  # catalog.ServerEntry
    layout: Layout
    profile: object  # stages.latency.profile.Profile
    engine: EngineTerms
    performance: ServingPerformance
    memory: PhysicalPlan  # the layout's plan at input + output tokens of context

    @property
    def fits(self) -> bool:
        return self.memory.max_concurrency >= self.performance.batch


def replica_performance(question: PerfQuestion, catalog) -> ReplicaPerformance:
    model, server = catalog.model(question.model), catalog.server(question.server)
    context = question.context_tokens
    if context > model.max_position_embeddings:
        raise InputError(f"--input-tokens + --output-tokens ({context:,}) exceed {model.name}'s "
                         f"max_position_embeddings ({model.max_position_embeddings:,})")
    entry = catalog.profile_for(server, question.service.profile)
    if entry is None:
        raise InputError(catalog.no_profile(server))
    physical, service = question.physical, question.service
    layout = Layout(physical.tensor_parallel, physical.pipeline_parallel, physical.data_parallel,
                    physical.expert_parallel)
    plan = plan_physical(model, server, physical, layout, context, question.kv_bytes_per_element, question.paging)
    profile = entry.typed
    engine = engine_terms(service.engine, profile)
    link = (server.scaleup_bandwidth_per_gpu_gb_s or 0) / 2
    performance = MODES[question.mode](model.architecture, layout, plan.weight_components, profile, engine,
                                       question.kv_bytes_per_element, question.batch, service.input_tokens,
                                       service.output_tokens, question.max_num_batched_tokens, link)
    return ReplicaPerformance(question, model, server, layout, profile, engine, performance, plan)
