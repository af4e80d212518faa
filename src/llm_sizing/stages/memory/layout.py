"""Parallel layouts: how one model replica spreads over GPUs, and what each GPU then holds. Pure.

A replica is tensor_parallel x pipeline_parallel x data_parallel GPUs inside one node.
- Tensor parallelism splits attention heads, MLP and vocab; each cache kind says what one rank
  keeps (`caches.*.shard`: K/V heads max(1, kv_heads / tp), an MLA latent whole, recurrent state by
  heads), each mixer which degrees it allows (`layers.*.tensor_parallel_problems`).
- Pipeline parallelism gives each stage ceil(layers / pp) layers (the largest stage counts).
- Data-parallel attention (MoE models, typically MLA): data_parallel attention ranks of tp GPUs
  each, with their own sessions and KV; the routed experts are spread over all tp x dp GPUs.
- Expert parallelism places whole experts on tp x dp GPUs instead of slicing each expert; the
  bytes per GPU are the same up to rounding the expert count (ceil(experts / ep)).
Sources and rules: docs/parallelism.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ...units import ceil_div


@dataclass(frozen=True)
class Layout:
    tensor_parallel: int = 1
    pipeline_parallel: int = 1
    data_parallel: int = 1  # data-parallel attention ranks inside the replica
    expert_parallel: bool = False

    @property
    def gpus_per_replica(self) -> int:
        return self.tensor_parallel * self.pipeline_parallel * self.data_parallel

    def describe(self) -> str:
        parts = [f"TP{self.tensor_parallel}"]
        if self.pipeline_parallel > 1:
            parts.append(f"PP{self.pipeline_parallel}")
        if self.data_parallel > 1:
            parts.append(f"DP{self.data_parallel}-attention")
        if self.expert_parallel:
            parts.append(f"EP{self.tensor_parallel * self.data_parallel}")
        return " x ".join(parts)


def layout_problems(layout: Layout, arch, gpus_per_node: int) -> list[str]:
    """Why a layout cannot run this model on this node; empty when it can."""
    tp, pp, dp = layout.tensor_parallel, layout.pipeline_parallel, layout.data_parallel
    problems = []
    for name, value in (("--tensor-parallel", tp), ("--pipeline-parallel", pp), ("--data-parallel", dp)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            problems.append(f"{name} must be a whole number >= 1; got {value!r}")
    if problems:
        return problems
    problems += arch.tensor_parallel_problems(tp)
    if pp > arch.num_hidden_layers:
        problems.append(f"pipeline parallel {pp} exceeds the {arch.num_hidden_layers} layers")
    if dp > 1 and not arch.experts:
        problems.append("data-parallel attention is for MoE models; for a dense model use more replicas")
    if layout.expert_parallel and not arch.experts:
        problems.append("expert parallelism needs a model with routed experts")
    if layout.gpus_per_replica > gpus_per_node:
        problems.append(f"a replica of {layout.gpus_per_replica} GPUs (TP {tp} x PP {pp} x DP {dp}) does not fit "
                        f"a node of {gpus_per_node} GPUs")
    return problems


def stage_layers(num_layers: int, pipeline_parallel: int) -> int:
    """Layers on the largest pipeline stage."""
    return ceil_div(num_layers, pipeline_parallel)


def per_gpu_weight_bytes(component_bytes, layout: Layout, num_layers: int, experts: int) -> Fraction:
    """Weight bytes on the most loaded GPU of a replica (docs/parallelism.md)."""
    tp, pp, dp = layout.tensor_parallel, layout.pipeline_parallel, layout.data_parallel
    ep = tp * dp
    layer_share = Fraction(stage_layers(num_layers, pp), num_layers)
    expert_share = (Fraction(ceil_div(experts, ep), experts) if layout.expert_parallel and experts
                    else Fraction(1, ep))
    shares = {"experts": lambda c: expert_share, "kv": lambda c: Fraction(1, min(tp, c.kv_heads or 1)),
              "replicated": lambda c: Fraction(1), "tp": lambda c: Fraction(1, tp), "vocab": lambda c: Fraction(1, tp)}
    stages = {"first": Fraction(0), "last": Fraction(0), "layers": Fraction(0)}
    for item in component_bytes:
        stages[item.component.stage] += item.bytes * shares[item.component.split](item.component)
    layers = stages["layers"] * layer_share
    if pp == 1:
        return layers + stages["first"] + stages["last"]
    return layers + max(stages["first"], stages["last"])


def gpu_caches(arch, layout: Layout) -> tuple[tuple, ...]:
    """The caches of the layers one GPU of the largest pipeline stage holds, as one tensor-parallel
    rank keeps them."""
    count = stage_layers(arch.num_hidden_layers, layout.pipeline_parallel)
    return tuple(tuple(spec.shard(layout.tensor_parallel) for spec in caches) for caches in arch.caches[:count])
