"""PerfQuestion + Catalog -> ReplicaPerformance: one replica of a fixed layout decoding a fixed batch
(`llm-sizing perf`), with the memory plan of that layout at the workload's context (does the batch
fit?). Pure, like the pipeline."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError
from .scenario import PerfQuestion
from .stages.latency.roofline import Efficiency, Performance, evaluate
from .stages.memory.layout import Layout
from .stages.memory.physical import PhysicalPlan, plan_physical


@dataclass(frozen=True)
class ReplicaPerformance:
    question: PerfQuestion
    model: object  # catalog.ModelEntry
    server: object  # catalog.ServerEntry
    layout: Layout
    efficiency: Efficiency
    performance: Performance
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
    physical, service = question.physical, question.service
    layout = Layout(physical.tensor_parallel, physical.pipeline_parallel, physical.data_parallel,
                    physical.expert_parallel)
    plan = plan_physical(model, server, physical, layout, context, question.kv_bytes_per_element, question.paging)
    efficiency = Efficiency(service.mbu, service.mfu, service.comm_latency_us, service.layer_overhead_us)
    performance = evaluate(model, server, plan.weight_components, layout, question.kv_bytes_per_element,
                           question.batch, service.input_tokens, service.output_tokens,
                           question.max_num_batched_tokens, efficiency)
    return ReplicaPerformance(question, model, server, layout, efficiency, performance, plan)
