"""A decoder layer is a token mixer (attention of some kind, or a recurrent mixer) and a feed-forward
block (dense MLP, mixture of experts, or none). One small frozen class per kind; each says what
caches it keeps (`caches`, KV specs from `caches.py`), what parameters it has by component
(`parameters()`), and what tensor-parallel degrees it allows (`tensor_parallel_problems`).
Shapes come from the model's config.json, read once by `architecture.py`; a kind whose shapes
the config does not give holds the reason (`problem`) and refuses to count its parameters.
Formulas per component: docs/weights.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from ..errors import ArchitectureError
from .caches import ChunkedLocal, FullAttention, MlaLatent, RecurrentState, SharedKv, SlidingWindow, SparseIndexer


@dataclass(frozen=True)
class Component:
    """Parameters of one kind, and how a replica's GPUs share them (docs/parallelism.md):
      split "tp"          divided by the tensor-parallel degree (column/row-parallel linears)
      split "kv"          K/V projections: divided by min(tp, kv_heads) (replicated beyond the KV heads)
      split "replicated"  whole on every GPU (MLA down-projections, routers, norms, the V3.2 indexer)
      split "experts"     routed experts: divided over tp x dp GPUs (tensor- or expert-parallel)
      split "vocab"       embeddings / lm_head: vocab-parallel, divided by tp
      stage "first" (embeddings), "last" (lm_head), "layers" (spread over pipeline stages)"""

    name: str  # embeddings, lm_head, attention, attention_kv, mlp, experts, shared_experts, router, mamba, norms
    params: int
    split: str
    stage: str = "layers"
    quantizable: bool = True  # a linear layer a checkpoint's quantization can cover
    kv_heads: Optional[int] = None  # split "kv": the KV heads the projection has


def _refuse(problem: Optional[str]) -> None:
    if problem:
        raise ArchitectureError(problem)


# ---- token mixers ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Attention:
    """MHA / GQA / MQA projections around a cache of kind full, sliding, chunked or shared:
    q (x2 with an output gate), k, v, o; optional biases, q/k norms and attention sinks."""

    cache: Union[FullAttention, SlidingWindow, ChunkedLocal, SharedKv]
    hidden: int
    q_heads: int
    kv_heads: int
    head_dim: int
    bias: bool = False
    output_gate: bool = False  # Qwen3.5: q_proj also yields the output gate
    qk_norm: str = "none"  # "none" | "per_head" (q_norm, k_norm of head_dim) | "per_layer" (MiniMax: all heads)
    sinks: bool = False  # gpt-oss: one learned sink logit per head

    kind = "attention"

    @property
    def caches(self) -> tuple:
        return (self.cache,)

    def parameters(self) -> list[Component]:
        hidden, heads, kv_heads, head_dim = self.hidden, self.q_heads, self.kv_heads, self.head_dim
        gate = 2 if self.output_gate else 1
        q = hidden * heads * head_dim * gate + (heads * head_dim * gate if self.bias else 0)
        o = heads * head_dim * hidden + (hidden if self.bias else 0)
        kv = 2 * hidden * kv_heads * head_dim + (2 * kv_heads * head_dim if self.bias else 0)
        out = [Component("attention", q + o, "tp"), Component("attention_kv", kv, "kv", kv_heads=kv_heads)]
        if self.qk_norm == "per_layer":
            out.append(Component("norms", (heads + kv_heads) * head_dim, "replicated", quantizable=False))
        elif self.qk_norm == "per_head":
            out.append(Component("norms", 2 * head_dim, "replicated", quantizable=False))
        if self.sinks:
            out.append(Component("attention", heads, "tp", quantizable=False))
        return out

    def tensor_parallel_problems(self, tp: int) -> list[str]:
        problems = []
        if self.q_heads % tp:
            problems.append(f"tensor parallel {tp} does not divide the {self.q_heads} attention heads")
        if self.kv_heads and self.kv_heads % tp and tp % self.kv_heads:
            problems.append(f"tensor parallel {tp} neither divides nor is a multiple of the {self.kv_heads} KV heads")
        return problems

    def attention_flops_per_token(self, context: int) -> float:
        return self.cache.attention_flops_per_token(context, self.q_heads)


@dataclass(frozen=True)
class MlaAttention:
    """Multi-head latent attention (DeepSeek V2/V3, Kimi K2, GLM-4.7-Flash), with the V3.2 sparse
    indexer when the config has one. Parameter shapes that the config lacks leave `problem` set."""

    cache: MlaLatent
    indexer: Optional[SparseIndexer]
    hidden: int
    q_heads: int
    q_lora_rank: Optional[int]
    qk_nope_head_dim: int = 0
    v_head_dim: int = 0
    index_q_heads: int = 0
    problem: Optional[str] = None

    kind = "mla"

    @property
    def caches(self) -> tuple:
        return (self.cache,) if self.indexer is None else (self.cache, self.indexer)

    def parameters(self) -> list[Component]:
        _refuse(self.problem)
        hidden, heads, rank = self.hidden, self.q_heads, self.cache.kv_lora_rank
        nope, rope, v_dim, q_lora = self.qk_nope_head_dim, self.cache.qk_rope_head_dim, self.v_head_dim, self.q_lora_rank
        out = []
        if q_lora:
            out.append(Component("attention_mla_down", hidden * q_lora + q_lora, "replicated"))  # q_a_proj + norm
            out.append(Component("attention", q_lora * heads * (nope + rope), "tp"))
        else:
            out.append(Component("attention", hidden * heads * (nope + rope), "tp"))
        out.append(Component("attention_mla_down", hidden * (rank + rope) + rank, "replicated"))  # kv_a + norm
        out.append(Component("attention", rank * heads * (nope + v_dim) + heads * v_dim * hidden, "tp"))  # kv_b, o
        if self.indexer is not None:
            index_heads, index_dim, q_in = self.index_q_heads, self.indexer.index_head_dim, q_lora or hidden
            out.append(Component("indexer", q_in * index_heads * index_dim + hidden * index_dim
                                 + hidden * index_heads + 2 * index_dim, "replicated"))
        return out

    def tensor_parallel_problems(self, tp: int) -> list[str]:
        return [f"tensor parallel {tp} does not divide the {self.q_heads} attention heads"] if self.q_heads % tp else []

    def attention_flops_per_token(self, context: int) -> float:
        return sum(cache.attention_flops_per_token(context, self.q_heads) for cache in self.caches)


@dataclass(frozen=True)
class Mamba2:
    """Mamba2 mixer (Nemotron-H): in_proj, depthwise conv, SSM parameters, gated norm, out_proj."""

    cache: RecurrentState
    hidden: int
    heads: int
    head_dim: int
    groups: int
    state: int
    kernel: int
    conv_bias: bool = True

    kind = "mamba2"

    @property
    def caches(self) -> tuple:
        return (self.cache,)

    def parameters(self) -> list[Component]:
        hidden, heads = self.hidden, self.heads
        inner = heads * self.head_dim
        conv_dim = inner + 2 * self.groups * self.state
        params = (hidden * (2 * inner + 2 * self.groups * self.state + heads) + conv_dim * self.kernel
                  + (conv_dim if self.conv_bias else 0) + 3 * heads + inner + inner * hidden)
        return [Component("mamba", params, "tp")]

    def tensor_parallel_problems(self, tp: int) -> list[str]:
        return []

    def attention_flops_per_token(self, context: int) -> float:
        return self.cache.attention_flops_per_token(context, 0)


@dataclass(frozen=True)
class GatedDeltaNet:
    """Gated DeltaNet linear attention (Qwen3-Next, Qwen3.5): in_proj (q, k, v, z, b, a), conv,
    A/dt, norm, out_proj."""

    cache: RecurrentState
    hidden: int
    k_heads: int
    v_heads: int
    k_dim: int
    v_dim: int
    kernel: int

    kind = "gated_deltanet"

    @property
    def caches(self) -> tuple:
        return (self.cache,)

    def parameters(self) -> list[Component]:
        hidden, key, value = self.hidden, self.k_heads * self.k_dim, self.v_heads * self.v_dim
        params = (hidden * (2 * key + 2 * value) + hidden * 2 * self.v_heads + (2 * key + value) * self.kernel
                  + 2 * self.v_heads + self.v_dim + value * hidden)
        return [Component("linear_attention", params, "tp")]

    def tensor_parallel_problems(self, tp: int) -> list[str]:
        return []

    def attention_flops_per_token(self, context: int) -> float:
        return self.cache.attention_flops_per_token(context, 0)


# ---- feed-forward blocks --------------------------------------------------------------------------

@dataclass(frozen=True)
class DenseMlp:
    """Gated (SwiGLU: gate, up, down) or plain (up, down: `relu2`, Nemotron-H) MLP."""

    hidden: int
    intermediate: int
    gated: bool = True

    kind = "dense_mlp"

    def parameters(self) -> list[Component]:
        return [Component("mlp", (3 if self.gated else 2) * self.hidden * self.intermediate, "tp")]


@dataclass(frozen=True)
class MixtureOfExperts:
    """Routed experts (gate, up, down each), a router, optional shared experts (one dense MLP of
    `shared_intermediate` in all, with a sigmoid gate when `shared_gate`), optional per-expert
    biases and router bias (gpt-oss)."""

    hidden: int
    experts: int
    experts_per_token: int
    expert_intermediate: int
    shared_intermediate: int = 0
    shared_gate: bool = False
    expert_biases: bool = False
    router_bias: bool = False
    problem: Optional[str] = None

    kind = "moe"

    def parameters(self) -> list[Component]:
        _refuse(self.problem)
        hidden, experts, size = self.hidden, self.experts, self.expert_intermediate
        out = [Component("experts", experts * 3 * hidden * size, "experts")]
        if self.expert_biases:
            out.append(Component("expert_biases", experts * (2 * size + hidden), "experts", quantizable=False))
        out.append(Component("router", hidden * experts + (experts if self.router_bias else 0), "replicated",
                             quantizable=False))
        if self.shared_intermediate:
            out.append(Component("shared_experts", 3 * hidden * self.shared_intermediate
                                 + (hidden if self.shared_gate else 0), "tp"))
        return out


@dataclass(frozen=True)
class NoFfn:
    """A layer that is only a mixer (Nemotron-H's Mamba and attention blocks)."""

    kind = "none"

    def parameters(self) -> list[Component]:
        return []


@dataclass(frozen=True)
class UncountedFfn:
    """A feed-forward block whose shapes the config does not give exactly: its parameters are refused."""

    problem: str

    kind = "uncounted"

    def parameters(self) -> list[Component]:
        raise ArchitectureError(self.problem)


@dataclass(frozen=True)
class NoMixer:
    """A layer that is only a feed-forward block (Nemotron-H's MLP blocks): no cache."""

    kind = "none"
    caches = ()

    def parameters(self) -> list[Component]:
        return []

    def tensor_parallel_problems(self, tp: int) -> list[str]:
        return []

    def attention_flops_per_token(self, context: int) -> float:
        return 0.0


@dataclass(frozen=True)
class Layer:
    mixer: object  # Attention | MlaAttention | Mamba2 | GatedDeltaNet | NoMixer
    ffn: object  # DenseMlp | MixtureOfExperts | NoFfn | UncountedFfn

    @property
    def caches(self) -> tuple:
        return self.mixer.caches
