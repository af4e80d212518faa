"""Hugging Face config.json -> `Architecture`: every fact about the model the calculation uses, read
once, here. No other module reads the config dict. Pure: a dict in, frozen values out.

Architectures are recognised by the fields their configs carry, never by model name or
`model_type`: `layer_types`, `hybrid_override_pattern` (Nemotron-H), `attention_chunk_size`
(Llama 4), `kv_lora_rank` (MLA), `index_head_dim` (DeepSeek V3.2 sparse attention), `linear_*`
(Gated DeltaNet), `global_head_dim` / `attention_k_eq_v` / `num_kv_shared_layers` (Gemma 4).
What a modelling class hard-codes without a config field (attention sinks, per-head q/k norms, a
Llama 4 shared expert) comes from `CLASS_TRAITS`, keyed by the class the config names in
`architectures` (the key vLLM and transformers use to pick the implementation), each with its source.

What the reader cannot read exactly it refuses, naming the missing fields (ArchitectureError).
Facts only some questions need (parameter shapes, the checkpoint's format) are refused when they
are used, so that a model whose KV cache is exact can be sized under the seed's rule even when its
weights cannot be counted. Where a value comes from a config class's documented default rather
than the file, `assumptions` say so. Rules and sources per layer kind: docs/kv/README.md;
parameters: docs/weights.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from ..errors import ArchitectureError
from .caches import ChunkedLocal, FullAttention, MlaLatent, RecurrentState, SharedKv, SlidingWindow, SparseIndexer
from .layers import (Attention, DenseMlp, GatedDeltaNet, Layer, Mamba2, MixtureOfExperts, MlaAttention, NoFfn,
                     NoMixer, UncountedFfn)
from .weights import CheckpointFormat, checkpoint_format

DTYPE_BYTES = {"bfloat16": 2, "float16": 2, "half": 2, "float32": 4, "float": 4, "fp32": 4, "bf16": 2, "fp16": 2}
LAYER_TYPES = ("full_attention", "sliding_attention", "chunked_attention", "linear_attention")
LLAMA4_NO_ROPE_LAYER_INTERVAL = 4  # transformers Llama4TextConfig default

#: What a modelling class hard-codes that its config.json does not state.
#:   attention_sinks  one learned sink logit per attention head (vLLM gpt_oss.py `self.sinks`)
#:   expert_biases    routed experts with biases, gate and up fused (vLLM gpt_oss.py MLPBlock, FusedMoE bias=True)
#:   router_bias      the router is a Linear with bias (vLLM gpt_oss.py `self.router`)
#:   qk_norm          per-head RMSNorm on q and k (vLLM qwen3.py, qwen3_moe.py, qwen3_next.py: q_norm, k_norm)
#:   shared_expert    MoE layers add one shared expert of `intermediate_size` (vLLM llama4.py Llama4MoE)
CLASS_TRAITS: dict[str, frozenset[str]] = {
    "GptOssForCausalLM": frozenset({"attention_sinks", "expert_biases", "router_bias"}),
    "Qwen3ForCausalLM": frozenset({"qk_norm"}),
    "Qwen3MoeForCausalLM": frozenset({"qk_norm"}),
    "Qwen3NextForCausalLM": frozenset({"qk_norm"}),
    "Qwen3VLForConditionalGeneration": frozenset({"qk_norm"}),
    "Qwen3VLMoeForConditionalGeneration": frozenset({"qk_norm"}),
    "Qwen3_5ForConditionalGeneration": frozenset({"qk_norm"}),
    "Qwen3_5MoeForConditionalGeneration": frozenset({"qk_norm"}),
    "Llama4ForConditionalGeneration": frozenset({"shared_expert"}),
    "Llama4ForCausalLM": frozenset({"shared_expert"}),
}


@dataclass(frozen=True)
class Architecture:
    """What sizing needs from a config: the decoder layers (mixer, feed-forward, caches) in order,
    the model's dimensions, its experts and its checkpoint format."""

    num_hidden_layers: int
    max_position_embeddings: int
    hidden_size: int
    num_attention_heads: int
    layers: tuple[Layer, ...]
    vocab_size: Optional[int] = None
    tie_word_embeddings: bool = False
    num_key_value_heads: int = 0  # the config's top-level value (0 when absent)
    experts: int = 0  # routed experts per MoE layer (0: dense)
    experts_per_token: int = 0
    expert_intermediate_size: Optional[int] = None
    dense_intermediate_size: Optional[int] = None
    dtype: str = "bfloat16"  # the model dtype the config names (non-quantized components)
    checkpoint: Optional[CheckpointFormat] = None
    checkpoint_problem: Optional[str] = None
    parameter_problem: Optional[str] = None  # a model-level shape the parameter count needs is missing
    not_counted: tuple[str, ...] = ()  # parts of the checkpoint the parameter count leaves out, and why
    assumptions: tuple[str, ...] = ()
    label: str = field(default="model", compare=False)

    @property
    def caches(self) -> tuple[tuple, ...]:
        """Per decoder layer, the caches it keeps: () for a layer without cache (Nemotron-H MLP),
        (MlaLatent, SparseIndexer) for a DeepSeek V3.2 layer, one spec for most."""
        return tuple(layer.caches for layer in self.layers)

    def layer_counts(self) -> dict[str, int]:
        """Decoder layers per kind of cache, in order of first appearance ("no_kv_cache" for none)."""
        counts: dict[str, int] = {}
        for caches in self.caches:
            kind = "+".join(spec.kind for spec in caches) or "no_kv_cache"
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    def checkpoint_format(self, override: Optional[str] = None) -> CheckpointFormat:
        """The checkpoint's format as config.json (or hf_quant_config.json) states it, refused when
        unreadable; with `override` (--weight-format) every quantizable component in that format."""
        if override:
            return checkpoint_format(self.dtype).with_quantized(override)
        if self.checkpoint is None:
            raise ArchitectureError(self.checkpoint_problem or f"{self.label}: the checkpoint format is unknown")
        return self.checkpoint

    def tensor_parallel_problems(self, tp: int) -> list[str]:
        """Why `tp` tensor-parallel ranks cannot split this model's layers (each kind's rule, once)."""
        problems: list[str] = []
        for mixer in dict.fromkeys(layer.mixer for layer in self.layers):
            problems += [problem for problem in mixer.tensor_parallel_problems(tp) if problem not in problems]
        return problems

    @property
    def activation_intermediate_size(self) -> int:
        """The MLP width a token's forward holds at its peak: experts per token x the expert's width
        for an MoE model, the dense MLP's width otherwise (docs/physical-memory.md)."""
        if self.experts and self.experts_per_token:
            return self.experts_per_token * (self.expert_intermediate_size or 0)
        return self.dense_intermediate_size or 0


def text_config(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """Multimodal configs nest the language model in `text_config` (or `llm_config`)."""
    for key in ("text_config", "llm_config", "language_config"):
        nested = config.get(key)
        if isinstance(nested, Mapping) and "num_hidden_layers" in nested:
            return nested
    return config


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


class _Reader:
    def __init__(self, config: Mapping[str, Any], label: str, hf_quant_config: Optional[Mapping[str, Any]]):
        self.c = text_config(config)
        self.top = config
        self.label = label
        self.hf_quant_config = hf_quant_config
        self.assumptions: list[str] = []
        classes = config.get("architectures")
        names = [name for name in classes if isinstance(name, str)] if isinstance(classes, list) else []
        self.traits = frozenset().union(*(CLASS_TRAITS.get(name, frozenset()) for name in names))

    def has(self, key: str) -> bool:
        return self.c.get(key) is not None

    def require(self, *keys: str, why: str) -> list:
        missing = [k for k in keys if not _positive_int(self.c.get(k))]
        if missing:
            raise ArchitectureError(f"{self.label}: cannot size {why} exactly: config.json lacks "
                                    f"{', '.join(missing)} (positive integers)")
        return [self.c[k] for k in keys]

    def counted(self, *keys: str, why: str) -> tuple[list, Optional[str]]:
        """Fields the parameter count needs: (values, None), or (zeros, the refusal) when some are missing."""
        missing = [k for k in keys if not isinstance(self.c.get(k), int) or self.c.get(k) < 0]
        if missing:
            return [0] * len(keys), (f"{self.label}: cannot count the {why} weights: config.json lacks "
                                     f"{', '.join(missing)}")
        return [self.c[k] for k in keys], None

    def dtypes(self) -> list[str]:
        """The dtype names the config gives, the language model's first (`torch_dtype`, then `dtype`)."""
        values = (source.get(key) for source in (self.c, self.top) for key in ("torch_dtype", "dtype"))
        return [value for value in values if isinstance(value, str) and value]

    def dtype(self) -> str:
        return (self.dtypes() or ["bfloat16"])[0]

    def dtype_bytes(self) -> int:
        for value in self.dtypes():
            if value in DTYPE_BYTES:
                return DTYPE_BYTES[value]
        self.assumptions.append("model dtype not in config.json: recurrent state taken as bfloat16 (2 bytes)")
        return 2

    def head_dim(self) -> int:
        for key in ("head_dim", "attention_head_dim"):
            if self.has(key):
                return self.require(key, why="attention")[0]
        hidden, heads = self.require("hidden_size", "num_attention_heads", why="attention head size")
        if hidden % heads:
            raise ArchitectureError(f"{self.label}: config.json has no head_dim and hidden_size {hidden} is not a "
                                    f"multiple of num_attention_heads {heads}")
        self.assumptions.append(f"head_dim = hidden_size / num_attention_heads = {hidden} / {heads} = "
                                f"{hidden // heads} (config.json has no head_dim)")
        return hidden // heads

    def kv_heads(self) -> int:
        return self.require("num_key_value_heads", why="the KV cache (KV heads)")[0]

    # ---- which kind of layer each layer is --------------------------------------------------
    def layer_kinds(self, n_layers: int) -> list[Optional[str]]:
        c = self.c
        if isinstance(c.get("hybrid_override_pattern"), str):
            pattern = c["hybrid_override_pattern"]
            if len(pattern) != n_layers:
                raise ArchitectureError(f"{self.label}: hybrid_override_pattern has {len(pattern)} symbols but "
                                        f"num_hidden_layers is {n_layers}")
            symbols = {"M": "mamba2", "*": "full_attention", "-": None, "E": None}
            unknown = sorted(set(pattern) - set(symbols))
            if unknown:
                raise ArchitectureError(f"{self.label}: hybrid_override_pattern has unknown layer symbols "
                                        f"{unknown}; known: M (Mamba2), * (attention), - (MLP), E (MoE)")
            return [symbols[s] for s in pattern]
        if isinstance(c.get("layer_types"), list):
            kinds = list(c["layer_types"])
            if len(kinds) != n_layers:
                raise ArchitectureError(f"{self.label}: layer_types has {len(kinds)} entries but num_hidden_layers "
                                        f"is {n_layers}")
            unknown = sorted(set(map(str, kinds)) - set(LAYER_TYPES))
            if unknown:
                raise ArchitectureError(f"{self.label}: layer_types has kinds this tool cannot size: "
                                        f"{', '.join(unknown)}; known: {', '.join(LAYER_TYPES)}")
            return kinds
        interval = c.get("full_attention_interval")
        if isinstance(interval, int) and interval > 0 and self.has("linear_num_value_heads"):
            self.assumptions.append(f"layer_types not in config.json: Qwen3NextConfig default from "
                                    f"full_attention_interval {interval}, every {interval}th layer full attention, "
                                    f"the others Gated DeltaNet linear attention")
            return ["linear_attention" if (i + 1) % interval else "full_attention" for i in range(n_layers)]
        if isinstance(c.get("attn_type_list"), list):
            types = c["attn_type_list"]
            if any(t != 1 for t in types):
                raise ArchitectureError(f"{self.label}: attn_type_list marks lightning (linear) attention layers "
                                        f"(0); their state size is not supported yet")
        if self.has("attention_chunk_size"):
            no_rope = c.get("no_rope_layers")
            if not no_rope:
                no_rope = [int((i + 1) % LLAMA4_NO_ROPE_LAYER_INTERVAL != 0) for i in range(n_layers)]
                self.assumptions.append(
                    f"no_rope_layers not in config.json: Llama4TextConfig default, every "
                    f"{LLAMA4_NO_ROPE_LAYER_INTERVAL}th layer is a global (NoPE) full-attention layer")
            if len(no_rope) != n_layers:
                raise ArchitectureError(f"{self.label}: no_rope_layers has {len(no_rope)} entries but "
                                        f"num_hidden_layers is {n_layers}")
            # a RoPE layer (1) uses chunked local attention; a NoPE layer (0) attends globally
            return ["chunked_attention" if uses_rope else "full_attention" for uses_rope in no_rope]
        window = c.get("sliding_window")
        if isinstance(window, int) and window > 0 and c.get("use_sliding_window", True):
            pattern = c.get("sliding_window_pattern")
            if isinstance(pattern, int) and pattern > 0:
                return ["full_attention" if (i + 1) % pattern == 0 else "sliding_attention" for i in range(n_layers)]
            first_sliding = c.get("max_window_layers") if "use_sliding_window" in c else 0
            first_sliding = first_sliding if isinstance(first_sliding, int) else 0
            return ["sliding_attention" if i >= first_sliding else "full_attention" for i in range(n_layers)]
        return ["full_attention"] * n_layers

    # ---- the caches of each kind --------------------------------------------------------------
    def attention_cache(self, kind: str):
        heads, head_dim = self.kv_heads(), self.head_dim()
        if kind == "full_attention" and self.has("global_head_dim"):
            # Gemma 4 global layers: their own head size; with attention_k_eq_v (K and V projections
            # shared) also their own KV head count. K and V are still both cached: K gets k_norm and
            # RoPE, V only v_norm (vLLM gemma4.py builds Attention without head_size_v).
            head_dim = self.require("global_head_dim", why="global attention layers")[0]
            if self.c.get("attention_k_eq_v"):
                heads = self.require("num_global_key_value_heads", why="global attention layers with "
                                                                       "attention_k_eq_v")[0]
        if kind == "full_attention":
            return FullAttention(heads, head_dim, head_dim)
        if kind == "sliding_attention":
            window = self.require("sliding_window", why="sliding-window layers")[0]
            return SlidingWindow(heads, head_dim, head_dim, window_tokens=window)
        if kind == "chunked_attention":
            chunk = self.require("attention_chunk_size", why="chunked local attention layers")[0]
            return ChunkedLocal(heads, head_dim, head_dim, chunk_tokens=chunk)
        raise ArchitectureError(f"{self.label}: no attention spec for layer kind {kind}")

    def qk_norm(self) -> str:
        if self.c.get("qk_norm_type") == "per_layer":  # MiniMax: one norm over all q heads and all k heads
            return "per_layer"
        if self.c.get("use_qk_norm") or "qk_norm" in self.traits:
            return "per_head"
        return "none"

    def attention(self, cache, kv_heads: int, head_dim: int) -> Attention:
        return Attention(cache, hidden=self.c["hidden_size"], q_heads=self.c["num_attention_heads"],
                         kv_heads=kv_heads, head_dim=head_dim, bias=bool(self.c.get("attention_bias")),
                         output_gate=bool(self.c.get("attn_output_gate")), qk_norm=self.qk_norm(),
                         sinks="attention_sinks" in self.traits)

    def mla(self, kind: str) -> MlaAttention:
        if kind != "full_attention":
            raise ArchitectureError(f"{self.label}: MLA combined with {kind} layers is not supported")
        rank, rope = self.require("kv_lora_rank", "qk_rope_head_dim", why="multi-head latent attention")
        sparse = self.has("index_head_dim")
        indexer = None
        if sparse:
            index_dim = self.require("index_head_dim", why="the sparse-attention indexer")[0]
            index_heads = self.c.get("index_n_heads")
            indexer = SparseIndexer(index_dim, index_heads if _positive_int(index_heads) else 64)
        top_k = self.c.get("index_topk") if sparse else None
        cache = MlaLatent(rank, rope, fp8_sparse_format=sparse, attend_top_k=top_k if isinstance(top_k, int) else None)
        (nope, _, v_dim), problem = self.counted("qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim",
                                                 why="MLA attention")
        index_heads = 0
        if sparse and problem is None:
            (index_heads, _), problem = self.counted("index_n_heads", "index_head_dim", why="sparse-attention indexer")
        return MlaAttention(cache, indexer, hidden=self.c["hidden_size"], q_heads=self.c["num_attention_heads"],
                            q_lora_rank=self.c.get("q_lora_rank") or None, qk_nope_head_dim=nope, v_head_dim=v_dim,
                            index_q_heads=index_heads, problem=problem)

    def mamba2(self) -> Mamba2:
        heads, head_dim, groups, state, kernel = self.require(
            "mamba_num_heads", "mamba_head_dim", "n_groups", "ssm_state_size", "conv_kernel",
            why="Mamba2 layers")
        width = self.dtype_bytes()
        ssm_width = DTYPE_BYTES.get(str(self.c.get("mamba_ssm_cache_dtype")), width)
        conv_dim = heads * head_dim + 2 * groups * state
        cache = RecurrentState("mamba2", (("conv", (kernel - 1) * conv_dim, width),
                                          ("ssm", heads * head_dim * state, ssm_width)))
        return Mamba2(cache, self.c["hidden_size"], heads, head_dim, groups, state, kernel,
                      conv_bias=bool(self.c.get("use_conv_bias", True)))

    def gated_deltanet(self) -> GatedDeltaNet:
        k_heads, v_heads, k_dim, v_dim, kernel = self.require(
            "linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim", "linear_value_head_dim",
            "linear_conv_kernel_dim", why="Gated DeltaNet (linear attention) layers")
        width = self.dtype_bytes()
        # the recurrent state in the config's declared state dtype (Qwen3.5: mamba_ssm_dtype float32),
        # the conv state in the model dtype (vLLM MambaStateDtypeCalculator)
        ssm_width = DTYPE_BYTES.get(str(self.c.get("mamba_ssm_dtype")), width)
        conv_dim = k_dim * k_heads * 2 + v_dim * v_heads
        cache = RecurrentState("gated_deltanet", (("conv", (kernel - 1) * conv_dim, width),
                                                  ("ssm", v_heads * v_dim * k_dim, ssm_width)))
        return GatedDeltaNet(cache, self.c["hidden_size"], k_heads, v_heads, k_dim, v_dim, kernel)

    def mixer(self, kind: Optional[str]):
        if kind is None:
            return NoMixer()
        if kind == "mamba2":
            return self.mamba2()
        if kind == "linear_attention":
            return self.gated_deltanet()
        if self.has("kv_lora_rank"):
            return self.mla(kind)
        cache = self.attention_cache(kind)
        return self.attention(cache, cache.num_kv_heads, cache.k_head_dim)

    # ---- experts and MLPs ---------------------------------------------------------------------
    def experts(self) -> int:
        for key in ("n_routed_experts", "num_local_experts", "num_experts"):
            if _positive_int(self.c.get(key)):
                return self.c[key]
        return 0

    def experts_per_token(self) -> int:
        for key in ("num_experts_per_tok", "experts_per_token", "top_k_experts"):
            if _positive_int(self.c.get(key)):
                return self.c[key]
        return 0

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

    def moe(self, experts: int) -> MixtureOfExperts:
        hidden, per_token = self.c["hidden_size"], self.experts_per_token() or 1
        if "expert_biases" in self.traits:  # gpt-oss: gate_up fused with biases, router with bias
            size = self.c.get("intermediate_size")
            problem = None if isinstance(size, int) else (f"{self.label}: cannot count the expert weights: "
                                                          f"config.json lacks intermediate_size")
            return MixtureOfExperts(hidden, experts, per_token, size or 0, expert_biases=True, router_bias=True,
                                    problem=problem)
        size = self.c.get("moe_intermediate_size") or self.c.get("intermediate_size")
        if not isinstance(size, int):
            return MixtureOfExperts(hidden, experts, per_token, 0, problem=(
                f"{self.label}: cannot count the expert weights: config.json lacks moe_intermediate_size"))
        shared_size = self.c.get("shared_expert_intermediate_size") or self.c.get("shared_intermediate_size") or 0
        shared = (self.c.get("n_shared_experts") or 0) * size + shared_size
        if "shared_expert" in self.traits:
            shared += self.c["intermediate_size"]
        return MixtureOfExperts(hidden, experts, per_token, size, shared_intermediate=shared,
                                shared_gate=bool(shared_size))

    def ffn(self, index: int, pattern_symbol: Optional[str]):
        if pattern_symbol is not None:  # Nemotron-H: one block per layer; '-' is the MLP
            if pattern_symbol == "-":
                (size,), problem = self.counted("intermediate_size", why="MLP")
                if problem:
                    return UncountedFfn(problem)
                return DenseMlp(self.c["hidden_size"], size, gated=self.gated_mlp())
            if pattern_symbol == "E":
                return UncountedFfn(f"{self.label}: MoE layers in hybrid_override_pattern are not counted")
            return NoFfn()
        if self.c.get("enable_moe_block"):
            return UncountedFfn(f"{self.label}: cannot count the weights of this MoE block layout "
                                f"(enable_moe_block) exactly; give the checkpoint size instead (--weights-gib)")
        experts = self.experts()
        if self.layer_is_moe(index, experts):
            return self.moe(experts)
        size = self.c.get("intermediate_size_mlp") or self.c.get("intermediate_size")
        if not isinstance(size, int):
            return UncountedFfn(f"{self.label}: cannot count the MLP weights: config.json lacks intermediate_size")
        return DenseMlp(self.c["hidden_size"], size, gated=self.gated_mlp())

    def gated_mlp(self) -> bool:
        return self.c.get("mlp_hidden_act", "silu") not in ("relu2",)

    # ---- what the parameter count leaves out, the checkpoint's format -------------------------
    def not_counted(self) -> tuple[str, ...]:
        notes = []
        if isinstance(self.top.get("vision_config"), Mapping):
            notes.append("the vision encoder's weights are not counted (text model only)")
        mtp = self.c.get("num_nextn_predict_layers") or self.c.get("mtp_num_hidden_layers") or 0
        if mtp:
            notes.append(f"{mtp} multi-token-prediction layer(s) not counted: vLLM loads them only "
                         f"for speculative decoding")
        return tuple(notes)

    def checkpoint(self) -> tuple[Optional[CheckpointFormat], Optional[str]]:
        quantization = self.top.get("quantization_config") or self.c.get("quantization_config")
        try:
            return checkpoint_format(self.dtype(), quantization, self.hf_quant_config, self.label), None
        except ArchitectureError as error:
            return None, str(error)

    def read(self) -> Architecture:
        n_layers, max_len = self.require("num_hidden_layers", "max_position_embeddings", why="the model")
        hidden, heads = self.require("hidden_size", "num_attention_heads", why="the model")
        kinds = self.layer_kinds(n_layers)
        mixers: dict = {}
        for kind in kinds:
            if kind not in mixers:
                mixers[kind] = self.mixer(kind)
        layer_mixers = [mixers[kind] for kind in kinds]
        shared = self.c.get("num_kv_shared_layers") or 0
        if shared:
            if not isinstance(shared, int) or not 0 < shared < n_layers:
                raise ArchitectureError(f"{self.label}: num_kv_shared_layers {shared} must be a whole number "
                                        f"below num_hidden_layers {n_layers}")
            # the last `shared` layers read an earlier layer's cache; their projections are the config's
            # plain attention shapes
            kv_heads, head_dim = self.c.get("num_key_value_heads", 1), self.c.get("head_dim")
            layer_mixers[-shared:] = [self.attention(SharedKv(kinds[i]), kv_heads, head_dim)
                                      for i in range(n_layers - shared, n_layers)]
        pattern = self.c.get("hybrid_override_pattern")
        symbols = list(pattern) if isinstance(pattern, str) else [None] * n_layers
        layers = tuple(Layer(mixer, self.ffn(index, symbols[index])) for index, mixer in enumerate(layer_mixers))
        vocab = self.c.get("vocab_size")
        parameter_problem = None
        if not isinstance(vocab, int) or vocab < 0:
            vocab, parameter_problem = None, f"{self.label}: cannot count the embedding weights: config.json lacks " \
                                             f"vocab_size"
        kv_heads = self.c.get("num_key_value_heads")
        dense = self.c.get("intermediate_size_mlp") or self.c.get("intermediate_size")
        expert_size = self.c.get("moe_intermediate_size") or self.c.get("intermediate_size")
        checkpoint, checkpoint_problem = self.checkpoint()
        return Architecture(
            num_hidden_layers=n_layers, max_position_embeddings=max_len, hidden_size=hidden, num_attention_heads=heads,
            layers=layers, vocab_size=vocab,
            tie_word_embeddings=bool(self.top.get("tie_word_embeddings", self.c.get("tie_word_embeddings", False))),
            num_key_value_heads=kv_heads if isinstance(kv_heads, int) else 0, experts=self.experts(),
            experts_per_token=self.experts_per_token(),
            expert_intermediate_size=expert_size if isinstance(expert_size, int) else None,
            dense_intermediate_size=dense if isinstance(dense, int) else None,
            dtype=self.dtype(), checkpoint=checkpoint, checkpoint_problem=checkpoint_problem, parameter_problem=parameter_problem,
            not_counted=self.not_counted(), assumptions=tuple(self.assumptions), label=self.label)


def read_architecture(config: Mapping[str, Any], label: str = "model",
                      hf_quant_config: Optional[Mapping[str, Any]] = None) -> Architecture:
    """The model's layers and facts, or ArchitectureError naming what is missing."""
    if not isinstance(config, Mapping):
        raise ArchitectureError(f"{label}: config must be a JSON object")
    return _Reader(config, label, hf_quant_config).read()
