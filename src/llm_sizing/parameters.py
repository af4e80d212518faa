"""Parameter counts by component, read from a Hugging Face config.json. Pure.

Each component says how it is spread over a replica's GPUs (`split`) and where it lives in a
pipeline (`stage`), so the per-GPU share follows from the layout:
  split "tp"          divided by the tensor-parallel degree (column/row-parallel linears)
  split "kv"          K/V projections: divided by min(tp, kv heads) (replicated beyond the KV heads)
  split "replicated"  whole on every GPU (MLA down-projections, routers, norms, the V3.2 indexer)
  split "experts"     routed experts: divided over tp x dp GPUs (tensor- or expert-parallel)
  split "vocab"       embeddings / lm_head: vocab-parallel, divided by tp
  stage "first" (embeddings), "last" (lm_head), "layers" (spread over pipeline stages)
Formulas per architecture and sources: docs/weights.md. Biases and norms are counted; vision
encoders and multi-token-prediction layers (not loaded by default) are not, and say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .architecture import Architecture, text_config
from .errors import ArchitectureError
from .kv import ChunkedLocal, FullAttention, MlaLatent, RecurrentState, SharedKv, SlidingWindow


@dataclass(frozen=True)
class Component:
    name: str  # embeddings, lm_head, attention, attention_kv, mlp, experts, shared_experts, router, mamba, norms
    params: int
    split: str
    stage: str = "layers"
    quantizable: bool = True  # a linear layer a checkpoint's quantization can cover


@dataclass(frozen=True)
class ParameterCount:
    components: tuple[Component, ...]
    notes: tuple[str, ...]

    @property
    def total(self) -> int:
        return sum(c.params for c in self.components)

    def by_name(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.components:
            out[c.name] = out.get(c.name, 0) + c.params
        return out


class _Counter:
    def __init__(self, config: Mapping[str, Any], arch: Architecture, label: str):
        self.top = config
        self.c = text_config(config)
        self.arch = arch
        self.label = label
        self.notes: list[str] = []
        self.parts: dict[tuple[str, str, str, bool], int] = {}

    def need(self, *keys: str, why: str) -> list[int]:
        missing = [k for k in keys if not isinstance(self.c.get(k), int) or self.c.get(k) < 0]
        if missing:
            raise ArchitectureError(f"{self.label}: cannot count the {why} weights: config.json lacks "
                                    f"{', '.join(missing)}")
        return [self.c[k] for k in keys]

    def add(self, name: str, params: int, split: str, stage: str = "layers", quantizable: bool = True) -> None:
        key = (name, split, stage, quantizable)
        self.parts[key] = self.parts.get(key, 0) + params

    # ---- attention -------------------------------------------------------------------------
    def attention(self, spec) -> None:
        hidden = self.c["hidden_size"]
        heads = self.c["num_attention_heads"]
        bias = bool(self.c.get("attention_bias"))
        if isinstance(spec, MlaLatent):
            return self.mla(spec)
        head_dim = spec.k_head_dim
        kv_heads = spec.num_kv_heads
        gate = 2 if self.c.get("attn_output_gate") else 1  # Qwen3.5: q_proj also yields the output gate
        q = hidden * heads * head_dim * gate + (heads * head_dim * gate if bias else 0)
        o = heads * head_dim * hidden + (hidden if bias else 0)
        kv = 2 * hidden * kv_heads * head_dim + (2 * kv_heads * head_dim if bias else 0)
        self.add("attention", q + o, "tp")
        self.add("attention_kv", kv, "kv")
        if self.c.get("qk_norm_type") == "per_layer":  # MiniMax: one norm over all q heads and all k heads
            self.add("norms", (heads + kv_heads) * head_dim, "replicated", quantizable=False)
        elif self.c.get("use_qk_norm") or str(self.c.get("model_type", "")).startswith("qwen3"):
            self.add("norms", 2 * head_dim, "replicated", quantizable=False)  # per-head q_norm and k_norm
        if self.c.get("model_type") == "gpt_oss":  # attention sinks: one value per head
            self.add("attention", heads, "tp", quantizable=False)

    def mla(self, spec: MlaLatent) -> None:
        hidden, heads = self.c["hidden_size"], self.c["num_attention_heads"]
        nope, rope, v_dim = self.need("qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim", why="MLA attention")
        q_lora = self.c.get("q_lora_rank")
        rank = spec.kv_lora_rank
        if q_lora:
            self.add("attention_mla_down", hidden * q_lora + q_lora, "replicated")  # q_a_proj + its norm
            self.add("attention", q_lora * heads * (nope + rope), "tp")
        else:
            self.add("attention", hidden * heads * (nope + rope), "tp")
        self.add("attention_mla_down", hidden * (rank + rope) + rank, "replicated")  # kv_a_proj_with_mqa + norm
        self.add("attention", rank * heads * (nope + v_dim) + heads * v_dim * hidden, "tp")  # kv_b_proj, o_proj
        if self.c.get("index_head_dim"):
            index_heads, index_dim = self.need("index_n_heads", "index_head_dim", why="sparse-attention indexer")
            q_in = q_lora or hidden
            self.add("indexer", q_in * index_heads * index_dim + hidden * index_dim + hidden * index_heads
                     + 2 * index_dim, "replicated")

    def mamba2(self) -> None:
        hidden = self.c["hidden_size"]
        heads, head_dim, groups, state, kernel = self.need(
            "mamba_num_heads", "mamba_head_dim", "n_groups", "ssm_state_size", "conv_kernel", why="Mamba2")
        inner = heads * head_dim
        conv_dim = inner + 2 * groups * state
        self.add("mamba", hidden * (2 * inner + 2 * groups * state + heads) + conv_dim * kernel
                 + (conv_dim if self.c.get("use_conv_bias", True) else 0) + 3 * heads + inner + inner * hidden, "tp")

    def gated_deltanet(self) -> None:
        hidden = self.c["hidden_size"]
        k_heads, v_heads, k_dim, v_dim, kernel = self.need(
            "linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim", "linear_value_head_dim",
            "linear_conv_kernel_dim", why="Gated DeltaNet")
        key, value = k_heads * k_dim, v_heads * v_dim
        self.add("linear_attention", hidden * (2 * key + 2 * value) + hidden * 2 * v_heads
                 + (2 * key + value) * kernel + 2 * v_heads + v_dim + value * hidden, "tp")

    # ---- MLP --------------------------------------------------------------------------------
    def experts_fields(self):
        for key in ("n_routed_experts", "num_local_experts", "num_experts"):
            if isinstance(self.c.get(key), int) and self.c[key] > 0:
                return self.c[key]
        return 0

    def dense_mlp(self, intermediate: int) -> None:
        hidden = self.c["hidden_size"]
        gated = self.c.get("mlp_hidden_act", "silu") not in ("relu2",)
        self.add("mlp", (3 if gated else 2) * hidden * intermediate, "tp")

    def moe(self, experts: int) -> None:
        hidden = self.c["hidden_size"]
        if self.c.get("model_type") == "gpt_oss":
            size = self.c["intermediate_size"]
            self.add("experts", experts * (hidden * 2 * size + size * hidden), "experts")
            self.add("expert_biases", experts * (2 * size + hidden), "experts", quantizable=False)
            self.add("router", hidden * experts + experts, "replicated", quantizable=False)
            return
        size = self.c.get("moe_intermediate_size") or self.c.get("intermediate_size")
        if not isinstance(size, int):
            raise ArchitectureError(f"{self.label}: cannot count the expert weights: config.json lacks "
                                    f"moe_intermediate_size")
        self.add("experts", experts * 3 * hidden * size, "experts")
        self.add("router", hidden * experts, "replicated", quantizable=False)
        shared = self.c.get("n_shared_experts") or 0
        if shared:
            self.add("shared_experts", shared * 3 * hidden * size, "tp")
        shared_size = self.c.get("shared_expert_intermediate_size") or self.c.get("shared_intermediate_size") or 0
        if shared_size:
            self.add("shared_experts", 3 * hidden * shared_size + hidden, "tp")  # + shared_expert_gate
        if self.c.get("model_type") == "llama4_text":
            self.add("shared_experts", 3 * hidden * self.c["intermediate_size"], "tp")

    def layer_is_moe(self, index: int, experts: int) -> bool:
        c = self.c
        if not experts:
            return False
        if isinstance(c.get("first_k_dense_replace"), int):
            return index >= c["first_k_dense_replace"] and (index % (c.get("moe_layer_freq") or 1) == 0)
        if index in (c.get("mlp_only_layers") or []):
            return False
        step = c.get("decoder_sparse_step") or c.get("interleave_moe_layer_step") or 1
        return (index + 1) % step == 0

    def mlp_for_layer(self, index: int) -> None:
        experts = self.experts_fields()
        if self.c.get("enable_moe_block"):
            raise ArchitectureError(f"{self.label}: cannot count the weights of this MoE block layout "
                                    f"(enable_moe_block) exactly; give the checkpoint size instead "
                                    f"(--weights-gib)")
        if self.layer_is_moe(index, experts):
            self.moe(experts)
        else:
            size = self.c.get("intermediate_size_mlp") or self.c.get("intermediate_size")
            if not isinstance(size, int):
                raise ArchitectureError(f"{self.label}: cannot count the MLP weights: config.json lacks "
                                        f"intermediate_size")
            self.dense_mlp(size)

    def count(self) -> ParameterCount:
        hidden, vocab = self.need("hidden_size", "vocab_size", why="embedding")
        self.need("num_attention_heads", why="attention")
        self.add("embeddings", vocab * hidden, "vocab", "first", quantizable=False)
        tied = self.top.get("tie_word_embeddings", self.c.get("tie_word_embeddings", False))
        if not tied:
            self.add("lm_head", vocab * hidden, "vocab", "last", quantizable=False)
        pattern = self.c.get("hybrid_override_pattern")
        for index, caches in enumerate(self.arch.layers):
            self.add("norms", 2 * hidden, "replicated", quantizable=False)
            main = [spec for spec in caches if not isinstance(spec, SharedKv)] or list(caches)
            spec = main[0] if main else None
            if isinstance(spec, RecurrentState):
                (self.mamba2 if spec.family == "mamba2" else self.gated_deltanet)()
            elif isinstance(spec, (FullAttention, SlidingWindow, ChunkedLocal, MlaLatent)):
                self.attention(spec)
            elif isinstance(spec, SharedKv):
                head_dim = self.c.get("head_dim")
                self.attention(FullAttention(self.c.get("num_key_value_heads", 1), head_dim, head_dim))
            if pattern is not None:  # Nemotron-H: one block per layer; '-' is the MLP
                if pattern[index] == "-":
                    self.dense_mlp(self.need("intermediate_size", why="MLP")[0])
                elif pattern[index] == "E":
                    raise ArchitectureError(f"{self.label}: MoE layers in hybrid_override_pattern are not counted")
            else:
                self.mlp_for_layer(index)
        self.add("norms", hidden, "replicated", quantizable=False)
        if isinstance(self.top.get("vision_config"), Mapping):
            self.notes.append("the vision encoder's weights are not counted (text model only)")
        mtp = self.c.get("num_nextn_predict_layers") or self.c.get("mtp_num_hidden_layers") or 0
        if mtp:
            self.notes.append(f"{mtp} multi-token-prediction layer(s) not counted: vLLM loads them only "
                              f"for speculative decoding")
        components = tuple(Component(name, params, split, stage, quantizable)
                           for (name, split, stage, quantizable), params in self.parts.items())
        return ParameterCount(components, tuple(self.notes))


def count_parameters(config: Mapping[str, Any], arch: Architecture, label: str = "model") -> ParameterCount:
    """Parameters by component, or ArchitectureError naming what is missing."""
    return _Counter(config, arch, label).count()
