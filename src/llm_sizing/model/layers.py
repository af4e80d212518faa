"""A decoder layer is a token mixer (attention of some kind, or a recurrent mixer) and a feed-forward
block (dense MLP, mixture of experts, or none). One small frozen class per kind; each says what
caches it keeps (`caches`, KV specs from `caches.py`), what parameters it has by component
(`parameters()`), what tensor-parallel degrees it allows (`tensor_parallel_problems`), and which
operators one GPU runs for it in an engine step (`ops(step, shard, weights)`, operators.py;
`weights.of(component)` gives the checkpoint's bytes per parameter and tensor-core path).
Shapes come from the model's config.json, read once by `architecture.py`; a kind whose shapes
the config does not give holds the reason (`problem`) and refuses to count its parameters.
Formulas per component: docs/weights.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional, Union

from ..errors import ArchitectureError
from .caches import (ChunkedLocal, FullAttention, IndexKey, MlaLatent, RecurrentState, SharedKv, SlidingWindow,
                     SparseIndexer)
from .operators import (ACTIVATION_BYTES, Collective, DecodeAttention, Elementwise, Gemm, GroupedGemm,
                        PrefillAttention, Shard, Step, allreduce, norm)


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
    index_key: Optional[IndexKey] = None  # MiniMax M3 sparse layers: index q (like K) and one index k head

    kind = "attention"

    @property
    def caches(self) -> tuple:
        return (self.cache,) if self.index_key is None else (self.cache, self.index_key)

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
        if self.index_key is not None:  # index q shards like K/V (as many heads); index k is one head, replicated
            out += [Component("attention_kv", hidden * kv_heads * self.index_key.dim, "kv", kv_heads=kv_heads),
                    Component("attention_mla_down", hidden * self.index_key.dim, "replicated")]
        return out

    def tensor_parallel_problems(self, tp: int) -> list[str]:
        problems = []
        if self.q_heads % tp:
            problems.append(f"tensor parallel {tp} does not divide the {self.q_heads} attention heads")
        if self.kv_heads and self.kv_heads % tp and tp % self.kv_heads:
            problems.append(f"tensor parallel {tp} neither divides nor is a multiple of the {self.kv_heads} KV heads")
        return problems

    def ops(self, step: Step, shard: Shard, weights) -> list:
        tokens, hidden, d = step.tokens, self.hidden, self.head_dim
        q_heads, kv_heads = self.q_heads // shard.tp, max(1, self.kv_heads // shard.tp)
        width, precision = weights.of("attention")
        ops = [norm("input_norm", tokens, hidden),
               Gemm("qkv_proj", tokens, hidden, (q_heads * (2 if self.output_gate else 1) + 2 * kv_heads) * d, width,
                    precision)]
        if self.qk_norm != "none":
            ops.append(Elementwise("qk_norm", 2 * tokens * (q_heads + kv_heads) * d * ACTIVATION_BYTES))
        cache = self.cache.shard(shard.tp)
        ops.append(Elementwise("rope_and_cache_write", 2 * tokens * (q_heads + kv_heads) * d * ACTIVATION_BYTES
                               + tokens * cache.bytes_per_token(step.kv_bytes)))
        ops += attention_core(self.caches, step, shard, q_heads)
        ops.append(Gemm("o_proj", tokens, q_heads * d, hidden, width, precision))
        return ops + allreduce("attention_allreduce", tokens, hidden, shard)


def attention_core(caches, step: Step, shard: Shard, q_heads: int) -> list:
    """The attention of the decoding sequences (reading each cache of the layer) and of the prompt
    chunk (causal over its prefix and itself), for one rank's `q_heads` query heads."""
    ops = []
    for cache in caches:
        rank_cache = cache.shard(shard.tp)
        if step.decode:
            ops.append(DecodeAttention(f"attention.{cache.kind}", step.decode,
                                       step.decode * rank_cache.decode_read_bytes(step.decode_context, step.kv_bytes),
                                       step.decode * cache.attention_flops_per_token(step.decode_context, q_heads)))
        if step.prefill:
            middle = step.prefill_start + step.prefill // 2
            ops.append(PrefillAttention(f"prefill_attention.{cache.kind}",
                                        step.prefill * cache.attention_flops_per_token(middle, q_heads),
                                        rank_cache.decode_read_bytes(step.prefill_start + step.prefill, step.kv_bytes)))
    return ops


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

    def ops(self, step: Step, shard: Shard, weights) -> list:
        """vLLM's MLA with the up-projections absorbed: q (through q_lora), the latent kv_a, W_UK on the
        queries, attention over the latent (and the V3.2 indexer's keys), W_UV, o_proj."""
        _refuse(self.problem)
        tokens, hidden, heads = step.tokens, self.hidden, self.q_heads // shard.tp
        nope, rope, v_dim, rank = self.qk_nope_head_dim, self.cache.qk_rope_head_dim, self.v_head_dim, \
            self.cache.kv_lora_rank
        width, precision = weights.of("attention")
        down_width, down_precision = weights.of("attention_mla_down")
        ops = [norm("input_norm", tokens, hidden)]
        if self.q_lora_rank:
            ops += [Gemm("q_a_proj", tokens, hidden, self.q_lora_rank, down_width, down_precision),
                    norm("q_a_norm", tokens, self.q_lora_rank),
                    Gemm("q_b_proj", tokens, self.q_lora_rank, heads * (nope + rope), width, precision)]
        else:
            ops.append(Gemm("q_proj", tokens, hidden, heads * (nope + rope), width, precision))
        ops += [Gemm("kv_a_proj", tokens, hidden, rank + rope, down_width, down_precision),
                Elementwise("kv_norm_rope_and_cache_write", 2 * tokens * (rank + rope) * ACTIVATION_BYTES
                            + tokens * self.cache.bytes_per_token(step.kv_bytes)),
                Gemm("q_absorb_w_uk", tokens, nope, heads * rank, width, precision)]
        if self.indexer is not None:
            index_dim, index_heads = self.indexer.index_head_dim, self.index_q_heads
            ops.append(Gemm("indexer_proj", tokens, self.q_lora_rank or hidden, index_heads * index_dim + index_dim
                            + index_heads, down_width, down_precision))
        ops += attention_core(self.caches, step, shard, heads)
        ops += [Gemm("w_uv", tokens, rank, heads * v_dim, width, precision),
                Gemm("o_proj", tokens, heads * v_dim, hidden, width, precision)]
        return ops + allreduce("attention_allreduce", tokens, hidden, shard)


def recurrent_ops(prefix: str, step: Step, shard: Shard, state_bytes: int, state_elements: int,
                  inner: int) -> list:
    """A recurrent mixer's state: decoding sequences read and write it once a token; a prompt chunk
    runs the chunked scan (about 6 FLOPs per state element per token, compute-bound) and writes it."""
    ops = []
    rank_state, rank_elements = state_bytes / shard.tp, state_elements / shard.tp
    if step.decode:
        ops.append(Elementwise(f"{prefix}_state_update", step.decode * 2 * rank_state, 4.0 * step.decode * rank_elements))
    if step.prefill:
        ops.append(PrefillAttention(f"{prefix}_chunked_scan", 6.0 * step.prefill * rank_elements, rank_state))
    return ops + [Elementwise(f"{prefix}_gated_norm", 3 * step.tokens * inner / shard.tp * ACTIVATION_BYTES)]


class _RecurrentMixer:
    """What the recurrent mixers (Mamba2, Gated DeltaNet, KDA) share: one state cache, kept 1 + N
    times under speculative decoding; no tensor-parallel constraint unless the kind states one
    (KDA: its heads)."""

    @property
    def caches(self) -> tuple:
        return (self.cache,)

    def speculative(self, tokens: int):
        return dataclasses.replace(self, cache=self.cache.speculative(tokens))

    def tensor_parallel_problems(self, tp: int) -> list[str]:
        return []


@dataclass(frozen=True)
class Mamba2(_RecurrentMixer):
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

    def parameters(self) -> list[Component]:
        hidden, heads = self.hidden, self.heads
        inner = heads * self.head_dim
        conv_dim = inner + 2 * self.groups * self.state
        params = (hidden * (2 * inner + 2 * self.groups * self.state + heads) + conv_dim * self.kernel
                  + (conv_dim if self.conv_bias else 0) + 3 * heads + inner + inner * hidden)
        return [Component("mamba", params, "tp")]

    def ops(self, step: Step, shard: Shard, weights) -> list:
        tokens, hidden, tp = step.tokens, self.hidden, shard.tp
        inner = self.heads * self.head_dim
        conv_dim = inner + 2 * self.groups * self.state
        width, precision = weights.of("mamba")
        ssm = {name: (n, w) for name, n, w in self.cache.tensors}
        ops = [norm("input_norm", tokens, hidden),
               Gemm("in_proj", tokens, hidden, (2 * inner + 2 * self.groups * self.state + self.heads) // tp, width,
                    precision),
               Elementwise("conv1d", 2 * tokens * conv_dim / tp * ACTIVATION_BYTES
                           + 2 * step.decode * ssm["conv"][0] * ssm["conv"][1] / tp)]
        ops += recurrent_ops("ssm", step, shard, ssm["ssm"][0] * ssm["ssm"][1], ssm["ssm"][0], inner)
        ops.append(Gemm("out_proj", tokens, inner // tp, hidden, width, precision))
        return ops + allreduce("mixer_allreduce", tokens, hidden, shard)


@dataclass(frozen=True)
class GatedDeltaNet(_RecurrentMixer):
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

    def parameters(self) -> list[Component]:
        hidden, key, value = self.hidden, self.k_heads * self.k_dim, self.v_heads * self.v_dim
        params = (hidden * (2 * key + 2 * value) + hidden * 2 * self.v_heads + (2 * key + value) * self.kernel
                  + 2 * self.v_heads + self.v_dim + value * hidden)
        return [Component("linear_attention", params, "tp")]

    def ops(self, step: Step, shard: Shard, weights) -> list:
        tokens, hidden, tp = step.tokens, self.hidden, shard.tp
        key, value = self.k_heads * self.k_dim, self.v_heads * self.v_dim
        width, precision = weights.of("linear_attention")
        tensors = {name: (n, w) for name, n, w in self.cache.tensors}
        ops = [norm("input_norm", tokens, hidden),
               Gemm("in_proj", tokens, hidden, (2 * key + 2 * value + 2 * self.v_heads) // tp, width, precision),
               Elementwise("conv1d", 2 * tokens * (2 * key + value) / tp * ACTIVATION_BYTES
                           + 2 * step.decode * tensors["conv"][0] * tensors["conv"][1] / tp)]
        ops += recurrent_ops("delta_rule", step, shard, tensors["ssm"][0] * tensors["ssm"][1], tensors["ssm"][0], value)
        ops.append(Gemm("out_proj", tokens, value // tp, hidden, width, precision))
        return ops + allreduce("mixer_allreduce", tokens, hidden, shard)


@dataclass(frozen=True)
class KimiDeltaAttention(_RecurrentMixer):
    """Kimi Delta Attention (Kimi Linear): q, k, v projections of `heads` x `head_dim`, one short
    convolution each (fp32 weights), low-rank forget (f_a, f_b) and output (g_a, g_b) gates, a beta
    projection, A_log and dt_bias, an output norm, o_proj. Shapes: vLLM kda.py (KimiDeltaAttention)
    and the Kimi-Linear-48B checkpoint (docs/kv/kda.md)."""

    cache: RecurrentState
    hidden: int
    heads: int
    head_dim: int
    kernel: int
    problem: Optional[str] = None

    kind = "kda"

    def parameters(self) -> list[Component]:
        _refuse(self.problem)
        hidden, inner, d = self.hidden, self.heads * self.head_dim, self.head_dim
        projections = 3 * hidden * inner + 2 * (hidden * d + d * inner) + hidden * self.heads + inner * hidden
        return [Component("linear_attention", projections, "tp"),
                Component("linear_attention", 3 * inner * self.kernel + self.heads + inner, "tp", quantizable=False),
                Component("norms", d, "replicated", quantizable=False)]

    def tensor_parallel_problems(self, tp: int) -> list[str]:
        return [] if self.heads % tp == 0 else [f"tensor parallel {tp} does not divide the {self.heads} KDA heads"]

    def ops(self, step: Step, shard: Shard, weights) -> list:
        _refuse(self.problem)
        tokens, hidden, tp = step.tokens, self.hidden, shard.tp
        inner, d = self.heads * self.head_dim, self.head_dim
        width, precision = weights.of("linear_attention")
        tensors = {name: (n, w) for name, n, w in self.cache.tensors}
        ops = [norm("input_norm", tokens, hidden),
               Gemm("qkv_proj", tokens, hidden, 3 * inner // tp, width, precision),
               Gemm("gate_projections", tokens, hidden, 2 * d + self.heads // tp, width, precision),
               Gemm("gate_expansions", tokens, d, 2 * inner // tp, width, precision),
               Elementwise("conv1d", 2 * tokens * 3 * inner / tp * ACTIVATION_BYTES
                           + 2 * step.decode * tensors["conv"][0] * tensors["conv"][1] / tp)]
        ops += recurrent_ops("delta_rule", step, shard, tensors["ssm"][0] * tensors["ssm"][1], tensors["ssm"][0], inner)
        ops.append(Gemm("o_proj", tokens, inner // tp, hidden, width, precision))
        return ops + allreduce("mixer_allreduce", tokens, hidden, shard)


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

    def ops(self, step: Step, shard: Shard, weights) -> list:
        return mlp_ops("mlp", step.tokens, self.hidden, self.intermediate // shard.tp, self.gated, weights.of("mlp"),
                       shard, with_norm=True)


def mlp_ops(prefix: str, tokens: float, hidden: int, intermediate: int, gated: bool, weights: tuple, shard: Shard,
            with_norm: bool) -> list:
    """A (gated) MLP on one rank's slice of `intermediate`: up (gate and up fused), activation, down,
    the all-reduce of the row-parallel down projection."""
    width, precision = weights
    ops = [norm("post_attention_norm", tokens, hidden)] if with_norm else []
    ops += [Gemm(f"{prefix}.gate_up" if gated else f"{prefix}.up", tokens, hidden, (2 if gated else 1) * intermediate,
                 width, precision),
            Elementwise(f"{prefix}.activation", 3 * tokens * intermediate * ACTIVATION_BYTES),
            Gemm(f"{prefix}.down", tokens, intermediate, hidden, width, precision)]
    return ops + allreduce(f"{prefix}_allreduce", tokens, hidden, shard) if with_norm else ops


def touched_fraction(experts: int, per_token: int, tokens: float) -> float:
    """Expected share of a layer's experts that `tokens` tokens, each routed to `per_token` of them
    uniformly, touch: 1 - (1 - k/E)^T."""
    if not experts or per_token >= experts:
        return 1.0
    return 1.0 - (1.0 - per_token / experts) ** tokens


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
    score_bias: bool = False  # a per-expert routing score bias (DeepSeek V3's e_score_correction_bias)
    gated: bool = True  # gate, up, down per expert; False: up, down (Nemotron 3's relu2 experts)
    latent: Optional[int] = None  # experts run at this width, between a down and an up projection
    problem: Optional[str] = None

    kind = "moe"

    @property
    def matrices(self) -> int:
        return 3 if self.gated else 2

    @property
    def expert_hidden(self) -> int:
        return self.latent or self.hidden

    def parameters(self) -> list[Component]:
        _refuse(self.problem)
        hidden, experts, size = self.expert_hidden, self.experts, self.expert_intermediate
        out = [Component("experts", experts * self.matrices * hidden * size, "experts")]
        if self.latent:  # fc1 hidden -> latent, fc2 latent -> hidden (replicated linears)
            out.append(Component("attention_mla_down", 2 * self.hidden * self.latent, "replicated"))
        if self.expert_biases:
            out.append(Component("expert_biases", experts * (2 * size + hidden), "experts", quantizable=False))
        out.append(Component("router", self.hidden * experts + (experts if self.router_bias else 0)
                             + (experts if self.score_bias else 0), "replicated", quantizable=False))
        if self.shared_intermediate:
            out.append(Component("shared_experts", self.matrices * self.hidden * self.shared_intermediate
                                 + (self.hidden if self.shared_gate else 0), "tp"))
        return out

    def ops(self, step: Step, shard: Shard, weights) -> list:
        """Router, the routed tokens' expert GEMMs on this GPU's experts (whole experts under expert
        parallelism, a 1 / (tp x dp) slice of every expert otherwise), shared experts, the exchange."""
        _refuse(self.problem)
        tokens, routed, hidden, k = step.tokens, step.routed_tokens, self.hidden, self.experts_per_token
        over = shard.experts_over
        width, precision = weights.of("experts")
        touched = self.experts * touched_fraction(self.experts, k, routed)
        if shard.expert_parallel:
            local_touched, rows, slice_width = touched / over, routed * k / over, self.expert_intermediate
        else:
            local_touched, rows, slice_width = touched, routed * k, self.expert_intermediate / over
        expert_params = self.matrices * self.expert_hidden * slice_width
        router_width, router_precision = weights.of("router")
        ops = [norm("post_attention_norm", tokens, hidden),
               Gemm("router", tokens, hidden, self.experts, router_width, router_precision),
               Elementwise("topk", tokens * self.experts * 4)]
        if self.latent:
            ops.append(Gemm("latent_down", tokens, hidden, self.latent, width, precision))
        if shard.dp > 1:  # the data-parallel attention ranks' tokens gathered to every expert GPU
            ops.append(Collective("moe_dispatch", routed * self.expert_hidden * ACTIVATION_BYTES, over, "alltoall"))
        ops += [GroupedGemm("experts", local_touched, expert_params * width, rows, expert_params, self.expert_hidden,
                            int(slice_width), precision),
                Elementwise("experts.activation", 3 * rows * slice_width * ACTIVATION_BYTES)]
        if self.latent:
            ops.append(Gemm("latent_up", tokens, self.latent, hidden, width, precision))
        if self.shared_intermediate:
            ops += mlp_ops("shared_experts", tokens, hidden, self.shared_intermediate // shard.tp, self.gated,
                           weights.of("shared_experts"), shard, with_norm=False)
        if shard.dp > 1:
            ops.append(Collective("moe_combine", routed * self.expert_hidden * ACTIVATION_BYTES, over, "alltoall"))
        else:
            ops += allreduce("moe_allreduce", tokens, hidden, shard)
        return ops


@dataclass(frozen=True)
class NoFfn:
    """A layer that is only a mixer (Nemotron-H's Mamba and attention blocks)."""

    kind = "none"

    def parameters(self) -> list[Component]:
        return []

    def ops(self, step: Step, shard: Shard, weights) -> list:
        return []


@dataclass(frozen=True)
class UncountedFfn:
    """A feed-forward block whose shapes the config does not give exactly: its parameters are refused."""

    problem: str

    kind = "uncounted"

    def parameters(self) -> list[Component]:
        raise ArchitectureError(self.problem)

    def ops(self, step: Step, shard: Shard, weights) -> list:
        raise ArchitectureError(self.problem.replace("count the weights", "list the operators"))


@dataclass(frozen=True)
class NoMixer:
    """A layer that is only a feed-forward block (Nemotron-H's MLP blocks): no cache."""

    kind = "none"
    caches = ()

    def parameters(self) -> list[Component]:
        return []

    def tensor_parallel_problems(self, tp: int) -> list[str]:
        return []

    def ops(self, step: Step, shard: Shard, weights) -> list:
        return []


@dataclass(frozen=True)
class Layer:
    mixer: object  # Attention | MlaAttention | Mamba2 | GatedDeltaNet | NoMixer
    ffn: object  # DenseMlp | MixtureOfExperts | NoFfn | UncountedFfn

    @property
    def caches(self) -> tuple:
        return self.mixer.caches

    def speculative(self, tokens: int) -> "Layer":
        """The layer under speculative decoding: recurrent mixers keep more state (their `speculative`)."""
        speculate = getattr(self.mixer, "speculative", None)
        return self if speculate is None or not tokens else Layer(speculate(tokens), self.ffn)

    def ops(self, step: Step, shard: Shard, weights) -> list:
        return self.mixer.ops(step, shard, weights) + self.ffn.ops(step, shard, weights)
