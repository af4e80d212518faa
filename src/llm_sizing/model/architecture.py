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

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from ..errors import ArchitectureError
from .config_keys import KEYS, KeyProblems, check_keys
from .caches import (ChunkedLocal, FullAttention, IndexKey, MlaLatent, RecurrentState, SharedKv, SlidingWindow,
                     SparseIndexer)
from .layers import (Attention, DenseMlp, GatedDeltaNet, KimiDeltaAttention, Layer, Mamba2, MixtureOfExperts,
                     MlaAttention, NoFfn, NoMixer, UncountedFfn)
from .speculative import Speculation
from .weights import CheckpointFormat, checkpoint_format

DTYPE_BYTES = {"bfloat16": 2, "float16": 2, "half": 2, "float32": 4, "float": 4, "fp32": 4, "bf16": 2, "fp16": 2}
LAYER_TYPES = ("full_attention", "sliding_attention", "chunked_attention", "linear_attention", "deepseek_sparse_attention")
LLAMA4_NO_ROPE_LAYER_INTERVAL = 4  # transformers Llama4TextConfig default

#: What a modelling class hard-codes that its config.json does not state.
#:   attention_sinks  one learned sink logit per attention head (vLLM gpt_oss.py `self.sinks`)
#:   expert_biases    routed experts with biases, gate and up fused (vLLM gpt_oss.py MLPBlock, FusedMoE bias=True)
#:   router_bias      the router is a Linear with bias (vLLM gpt_oss.py `self.router`)
#:   qk_norm          per-head RMSNorm on q and k (vLLM qwen3.py, qwen3_moe.py, qwen3_next.py: q_norm, k_norm)
#:   shared_expert    MoE layers add one shared expert of `intermediate_size` (vLLM llama4.py Llama4MoE)
#:   score_bias       the router has a per-expert score correction bias, E fp32 values a MoE layer
#:                    (vLLM deepseek_v2.py with topk_method noaux_tc, glm4_moe.py, kimi_linear, minimax_m2.py
#:                    with use_routing_bias, nemotron_h.py: `e_score_correction_bias`; the Kimi-Linear-48B
#:                    checkpoint lists gate.e_score_correction_bias [256] in each MoE layer)
CLASS_TRAITS: dict[str, frozenset[str]] = {
    "DeepseekV3ForCausalLM": frozenset({"score_bias"}),
    "DeepseekV32ForCausalLM": frozenset({"score_bias"}),
    "KimiLinearForCausalLM": frozenset({"score_bias"}),
    "Glm4MoeForCausalLM": frozenset({"score_bias"}),
    "Glm4MoeLiteForCausalLM": frozenset({"score_bias"}),
    "GlmMoeDsaForCausalLM": frozenset({"score_bias"}),
    "MiniMaxM2ForCausalLM": frozenset({"score_bias"}),
    "MiniMaxM3SparseForCausalLM": frozenset({"score_bias"}),
    "MiniMaxM3ForCausalLM": frozenset({"score_bias"}),
    "NemotronHForCausalLM": frozenset({"score_bias"}),
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


#: hybrid_override_pattern's symbols and layers_block_type's names: (mixer kind, feed-forward kind)
BLOCK_KINDS = {"M": ("mamba2", "none"), "*": ("full_attention", "none"), "-": (None, "mlp"), "E": (None, "moe"),
               "mamba": ("mamba2", "none"), "linear_attention": ("mamba2", "none"),
               "attention": ("full_attention", "none"), "full_attention": ("full_attention", "none"),
               "mlp": (None, "mlp"), "moe": (None, "moe")}


@dataclass(frozen=True)
class LayerSpec:
    """What the layout rule says of one layer: its mixer kind (None: no mixer), its feed-forward
    kind ("auto": the model's MoE rule by index; "moe", "mlp", "none"), and per-layer overrides
    (NAS block configs: KV heads, MLP width; DeepSeek sparse attention: whether the layer has its own
    indexer; MiniMax M3: whether the layer keeps an index key)."""

    kind: Optional[str]
    ffn: str = "auto"
    kv_heads: Optional[int] = None
    intermediate: Optional[int] = None
    indexer: bool = True
    index_key: bool = False


@dataclass(frozen=True)
class LayoutRule:
    """How a family's config says which kind each layer is: the keys that select the rule, what
    they mean, and the reader method that applies it (docs/architectures.md lists them in order)."""

    keys: str
    families: str
    reads: str
    applies: Any  # config -> bool
    method: str


LAYOUT_RULES: tuple[LayoutRule, ...] = (
    LayoutRule("layers_block_type (+ num_hidden_layers, optional)", "NVIDIA Nemotron 3 / 3.5",
               "one name per layer: mamba (Mamba2), attention, moe, mlp (the last two keep no cache); the layer "
               "count is the list's length", lambda c: c.get("layers_block_type") is not None, "_specs_from_blocks"),
    LayoutRule("hybrid_override_pattern", "Nemotron-H, Nemotron 3",
               "one symbol per layer: M Mamba2, * attention, - MLP, E MoE (the last two keep no cache)",
               lambda c: c.get("hybrid_override_pattern") is not None, "_specs_from_pattern"),
    LayoutRule("block_configs", "Llama-Nemotron NAS (DeciLM)",
               "per layer: attention with num_attention_heads / n_heads_in_group KV heads, or no_op (no attention, "
               "no cache); an MLP of ffn_mult (int(2 m hidden / 3) rounded up to 256), or no_op",
               lambda c: c.get("block_configs") is not None, "_specs_from_block_configs"),
    LayoutRule("linear_attn_config", "Kimi Linear, Kimi K3",
               "kda_layers (1-based) are Kimi Delta Attention (a recurrent state), every other layer MLA",
               lambda c: c.get("linear_attn_config") is not None, "_specs_from_linear_attn"),
    LayoutRule("sparse_attention_config", "MiniMax M3",
               "every layer full attention; layers with sparse_attention_freq != 0 also keep an index key",
               lambda c: c.get("sparse_attention_config") is not None, "_specs_from_sparse_attention"),
    LayoutRule("layer_types", "gpt-oss, Gemma 3/4, Qwen3.5, GLM-5, newer transformers",
               "the kind of every layer: " + ", ".join(LAYER_TYPES),
               lambda c: c.get("layer_types") is not None, "_specs_from_layer_types"),
    LayoutRule("full_attention_interval + linear_*", "Qwen3-Next",
               "every n-th layer full attention, the others Gated DeltaNet (Qwen3NextConfig's default; said)",
               lambda c: isinstance(c.get("full_attention_interval"), int) and c.get("linear_num_value_heads")
               is not None, "_specs_from_interval"),
    LayoutRule("attn_type_list", "MiniMax M1/M2",
               "1 softmax attention per layer (0, lightning attention, is refused)",
               lambda c: c.get("attn_type_list") is not None, "_specs_from_attn_type_list"),
    LayoutRule("attention_chunk_size + no_rope_layers", "Llama 4",
               "RoPE layers chunked local, NoPE layers global (every 4th without no_rope_layers; said)",
               lambda c: c.get("attention_chunk_size") is not None, "_specs_from_chunks"),
    LayoutRule("sliding_window (+ sliding_window_pattern, use_sliding_window, max_window_layers)",
               "Mistral, Gemma 3, Qwen2/3",
               "every layer slides, or all but every p-th, or those from max_window_layers on",
               lambda c: isinstance(c.get("sliding_window"), int) and c.get("sliding_window") > 0
               and c.get("use_sliding_window", True), "_specs_from_window"),
)
#: the mixer kinds a layer spec names, what each is, its cache and its page (docs/architectures.md)
MIXER_KINDS: tuple[tuple[str, str, str, str], ...] = (
    ("full_attention", "MHA / GQA / MQA attention over the whole context (MLA when the config has kv_lora_rank)",
     "full_attention (or mla_latent)", "kv/full-attention.md, kv/mla.md"),
    ("sliding_attention", "attention over the last `sliding_window` tokens", "sliding_attention",
     "kv/sliding-window.md"),
    ("chunked_attention", "attention within chunks of `attention_chunk_size` tokens", "chunked_attention",
     "kv/chunked-local.md"),
    ("deepseek_sparse_attention", "MLA whose queries attend the top-k latents an indexer picks; layers with their "
                                  "own indexer keep its keys too", "mla_latent (+ sparse_indexer)",
     "kv/mla.md, kv/sparse-indexer.md"),
    ("linear_attention", "Gated DeltaNet linear attention", "recurrent_state (gated_deltanet)",
     "kv/recurrent-state.md"),
    ("mamba2", "Mamba2 state-space mixer", "recurrent_state (mamba2)", "kv/recurrent-state.md"),
    ("kda", "Kimi Delta Attention", "recurrent_state (kda)", "kv/kda.md"),
    ("full_attention + index key", "MiniMax M3's block-sparse attention: full K/V plus one index key per token",
     "full_attention + index_key", "kv/index-key.md"),
    ("none", "no mixer (an MLP or MoE block of a hybrid layout, a NAS no_op)", "none", "-"),
)
#: NAS intermediate sizes are rounded up to a multiple of this (vLLM nemotron_nas.py _find_multiple)
NAS_FFN_MULTIPLE = 256
#: the keys of a NAS block's attention and ffn objects that the reader reads (or knows change nothing)
NAS_KEYS = {"attention": frozenset({"n_heads_in_group", "no_op", "replace_with_linear", "sparsify",
                                    "num_sink_tokens", "unshifted_sink", "use_prefill_window_in_sink_attention",
                                    "window_length"}),
            "ffn": frozenset({"ffn_mult", "intermediate_size", "no_op", "replace_with_linear", "sparsify"})}
#: linear_attn_config keys: the layer lists and KDA shapes read; the rest are kernel or gate settings
#: that change no cache size (Kimi K3's full-rank gate changes the weights: refused there)
KDA_KEYS = frozenset({"kda_layers", "full_attn_layers", "num_heads", "head_dim", "short_conv_kernel_size",
                      "gate_lower_bound", "use_full_rank_gate"})
#: sparse_attention_config keys (MiniMax M3): freq and index dim read; the block selection settings
#: decide what is attended, not what is cached
SPARSE_ATTENTION_KEYS = frozenset({"use_sparse_attention", "sparse_index_dim", "sparse_num_index_heads",
                                   "sparse_topk_blocks", "sparse_block_size", "sparse_init_block",
                                   "sparse_local_block", "sparse_score_type", "sparse_attention_freq",
                                   "sparse_disable_index_value"})


def nas_intermediate_size(ffn_mult: float, hidden: int) -> int:
    """vLLM nemotron_nas.py _ffn_mult_to_intermediate_size: int(2 x ffn_mult x hidden / 3), rounded up
    to a multiple of 256."""
    size = int(2 * ffn_mult * hidden / 3)
    return size if size % NAS_FFN_MULTIPLE == 0 else size + NAS_FFN_MULTIPLE - size % NAS_FFN_MULTIPLE


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
    eagle: int = 0  # an EAGLE draft head: the fc's input width in hidden sizes (2, EAGLE-3: 3); 0 otherwise
    draft_vocab_size: Optional[int] = None  # an EAGLE-3 head's own lm_head rows
    checkpoint: Optional[CheckpointFormat] = None
    checkpoint_problem: Optional[str] = None
    parameter_problem: Optional[str] = None  # a model-level shape the parameter count needs is missing
    not_counted: tuple[str, ...] = ()  # parts of the checkpoint the parameter count leaves out, and why
    assumptions: tuple[str, ...] = ()
    # multi-token prediction: the model's MTP layers and module weights (added by --speculative mtp),
    # or why they cannot be used (mtp_problem) or counted (mtp_weights_problem)
    mtp_layers: tuple[Layer, ...] = ()
    mtp_components: tuple = ()
    mtp_problem: Optional[str] = None
    mtp_weights_problem: Optional[str] = None
    extra_components: tuple = ()  # parameters outside the layers (speculative modules' projections)
    speculative_layers: int = 0  # of `layers`, the last ones a draft adds
    speculation: Optional[Speculation] = None
    label: str = field(default="model", compare=False)

    def speculating(self, speculation: Speculation, draft: Optional["Architecture"] = None) -> "Architecture":
        """This model served with speculative decoding: the draft's layers appended (their caches in the
        same pool, their weights beside the target's), recurrent states kept 1 + N times
        (model/speculative.py). `draft`: the draft model's architecture for `draft:MODEL`."""
        if not speculation.active:
            return self
        tokens = speculation.tokens
        if speculation.method == "mtp":
            if not self.mtp_layers:
                raise ArchitectureError(self.mtp_problem or f"{self.label}: --speculative mtp: the config has no "
                                        f"multi-token-prediction layers (num_nextn_predict_layers, "
                                        f"mtp_num_hidden_layers)")
            extra, components, problem = self.mtp_layers, self.mtp_components, self.mtp_weights_problem
            note = f"{len(extra)} multi-token-prediction layer(s) counted (--speculative mtp)"
        else:
            if draft is None:
                raise ArchitectureError(f"{self.label}: --speculative draft needs the draft model")
            extra, components, problem = draft.draft_layers(self)
            note = f"the draft model's {len(extra)} layer(s) counted (--speculative draft:{speculation.draft})"
        kept = tuple(n for n in self.not_counted if "multi-token-prediction" not in n)
        return dataclasses.replace(
            self, layers=tuple(layer.speculative(tokens) for layer in self.layers) + extra,
            num_hidden_layers=self.num_hidden_layers + len(extra), speculative_layers=len(extra),
            extra_components=self.extra_components + tuple(components), not_counted=kept + (note,),
            parameter_problem=self.parameter_problem or problem, speculation=speculation)

    def draft_layers(self, target: "Architecture") -> tuple[tuple[Layer, ...], tuple, Optional[str]]:
        """This model as a draft for `target`: its layers, and the weights outside them it adds: an EAGLE
        head shares the target's embeddings and lm_head and adds its fc (and EAGLE-3 its own lm_head);
        a plain draft model adds its own embeddings and lm_head."""
        from .layers import Component

        hidden = self.hidden_size
        if self.eagle:
            components = [Component("draft_fc", self.eagle * hidden * hidden, "replicated", quantizable=False)]
            if self.draft_vocab_size:
                components.append(Component("lm_head", self.draft_vocab_size * hidden, "vocab", "last",
                                            quantizable=False))
        else:
            vocab = self.vocab_size or 0
            components = [Component("embeddings", vocab * hidden, "vocab", "first", quantizable=False)]
            if not self.tie_word_embeddings:
                components.append(Component("lm_head", vocab * hidden, "vocab", "last", quantizable=False))
        return self.layers, tuple(components), self.parameter_problem

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
        names = [name for source in (config, self.c) for name in
                 (source.get("architectures") if isinstance(source.get("architectures"), list) else [])
                 if isinstance(name, str)]
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

    # ---- which kind of layer each layer is (the first rule of LAYOUT_RULES that applies) -------
    def layer_count(self) -> int:
        """num_hidden_layers; a layers_block_type list gives it when the config has none (Nemotron 3 Ultra)."""
        blocks = self.c.get("layers_block_type")
        if isinstance(blocks, list) and self.c.get("num_hidden_layers") is None:
            if not blocks:
                raise ArchitectureError(f"{self.label}: config key 'layers_block_type' is empty")
            return len(blocks)
        return self.require("num_hidden_layers", why="the model")[0]

    def layer_specs(self, n_layers: int) -> list[LayerSpec]:
        for rule in LAYOUT_RULES:
            if rule.applies(self.c):
                return getattr(self, rule.method)(n_layers)
        return [LayerSpec("full_attention")] * n_layers

    def _listed(self, key: str, n_layers: int, allowed=None) -> list:
        values = self.c[key]
        if not isinstance(values, (list, str)):
            raise ArchitectureError(f"{self.label}: config key '{key}' must be a list; got {type(values).__name__}")
        if len(values) != n_layers:
            raise ArchitectureError(f"{self.label}: config key '{key}' has {len(values)} entries but "
                                    f"num_hidden_layers is {n_layers}")
        if allowed is not None:
            unknown = sorted({str(v) for v in values} - set(map(str, allowed)))
            if unknown:
                raise ArchitectureError(f"{self.label}: config key '{key}' names kinds this tool cannot size: "
                                        f"{', '.join(unknown)}; known: {', '.join(map(str, allowed))}")
        return list(values)

    def _specs_from_blocks(self, n_layers: int) -> list[LayerSpec]:
        names = ("mamba", "attention", "moe", "mlp", "linear_attention", "full_attention")
        return [LayerSpec(*BLOCK_KINDS[name]) for name in self._listed("layers_block_type", n_layers, names)]

    def _specs_from_pattern(self, n_layers: int) -> list[LayerSpec]:
        return [LayerSpec(*BLOCK_KINDS[symbol]) for symbol in
                self._listed("hybrid_override_pattern", n_layers, ("M", "*", "-", "E"))]

    def _specs_from_block_configs(self, n_layers: int) -> list[LayerSpec]:
        blocks = self._listed("block_configs", n_layers)
        heads, hidden = self.c["num_attention_heads"], self.c["hidden_size"]
        specs = []
        for index, block in enumerate(blocks):
            where = f"config key 'block_configs' [{index}]"
            if not isinstance(block, Mapping) or not isinstance(block.get("attention"), Mapping) \
                    or not isinstance(block.get("ffn"), Mapping):
                raise ArchitectureError(f"{self.label}: {where} must be an object with 'attention' and 'ffn' objects")
            attention, ffn = block["attention"], block["ffn"]
            for part, name in ((attention, "attention"), (ffn, "ffn")):
                if part.get("replace_with_linear"):
                    raise ArchitectureError(f"{self.label}: {where}.{name}.replace_with_linear is not supported (vLLM "
                                            f"does not implement it either)")
                unknown = sorted(set(part) - NAS_KEYS[name])
                if unknown:
                    raise ArchitectureError(f"{self.label}: {where}.{name} has keys this tool does not read: "
                                            f"{', '.join(unknown)}")
            kv_heads = None
            if not attention.get("no_op"):
                group = attention.get("n_heads_in_group")
                if not _positive_int(group) or heads % group:
                    raise ArchitectureError(f"{self.label}: {where}.attention.n_heads_in_group must be a whole "
                                            f"number dividing num_attention_heads {heads}; got {group!r}")
                kv_heads = heads // group
            intermediate = None
            if not ffn.get("no_op"):
                mult, size = ffn.get("ffn_mult"), ffn.get("intermediate_size")
                if isinstance(mult, (int, float)) and not isinstance(mult, bool) and 0 < mult <= 1000:
                    intermediate = nas_intermediate_size(mult, hidden)
                elif _positive_int(size):
                    intermediate = size
                else:
                    raise ArchitectureError(f"{self.label}: {where}.ffn needs ffn_mult (a number > 0) or "
                                            f"intermediate_size; got {mult!r}")
            specs.append(LayerSpec(None if attention.get("no_op") else "full_attention",
                                   "none" if ffn.get("no_op") else "mlp", kv_heads=kv_heads,
                                   intermediate=intermediate))
        return specs

    def _sub_config(self, key: str, known: set) -> Mapping:
        """A nested config object whose every key this tool reads, or one line naming what is wrong."""
        config = self.c[key]
        if not isinstance(config, Mapping):
            raise ArchitectureError(f"{self.label}: config key '{key}' must be an object")
        unknown = sorted(set(config) - set(known))
        if unknown:
            raise ArchitectureError(f"{self.label}: config key '{key}' has keys this tool does not read: "
                                    f"{', '.join(unknown)}")
        return config

    def _specs_from_linear_attn(self, n_layers: int) -> list[LayerSpec]:
        config = self._sub_config("linear_attn_config", KDA_KEYS)
        lists = {}
        for key in ("kda_layers", "full_attn_layers"):
            values = config.get(key)
            if not isinstance(values, list) or not all(_positive_int(v) and v <= n_layers for v in values):
                raise ArchitectureError(f"{self.label}: config key 'linear_attn_config'.{key} must be a list of "
                                        f"1-based layer numbers up to {n_layers}; got {values!r}")
            lists[key] = set(values)
        kda, full = lists["kda_layers"], lists["full_attn_layers"]
        if kda & full or kda | full != set(range(1, n_layers + 1)):
            raise ArchitectureError(f"{self.label}: config key 'linear_attn_config': kda_layers and full_attn_layers "
                                    f"must split layers 1 to {n_layers} between them")
        return [LayerSpec("kda" if index + 1 in kda else "full_attention") for index in range(n_layers)]

    def _specs_from_sparse_attention(self, n_layers: int) -> list[LayerSpec]:
        config = self._sub_config("sparse_attention_config", SPARSE_ATTENTION_KEYS)
        if not config.get("use_sparse_attention"):
            return [LayerSpec("full_attention")] * n_layers
        freq = config.get("sparse_attention_freq")
        if not isinstance(freq, list) or len(freq) != n_layers or not all(v in (0, 1) for v in freq):
            raise ArchitectureError(f"{self.label}: config key 'sparse_attention_config'.sparse_attention_freq must "
                                    f"be a list of {n_layers} zeros and ones")
        if not _positive_int(config.get("sparse_index_dim")):
            raise ArchitectureError(f"{self.label}: config key 'sparse_attention_config'.sparse_index_dim must be a "
                                    f"whole number > 0")
        return [LayerSpec("full_attention", index_key=bool(f)) for f in freq]

    def _specs_from_layer_types(self, n_layers: int) -> list[LayerSpec]:
        kinds = self._listed("layer_types", n_layers, LAYER_TYPES)
        return [LayerSpec(kind) for kind in kinds]

    def _specs_from_interval(self, n_layers: int) -> list[LayerSpec]:
        interval = self.c["full_attention_interval"]
        self.assumptions.append(f"layer_types not in config.json: Qwen3NextConfig default from "
                                f"full_attention_interval {interval}, every {interval}th layer full attention, "
                                f"the others Gated DeltaNet linear attention")
        return [LayerSpec("linear_attention" if (i + 1) % interval else "full_attention") for i in range(n_layers)]

    def _specs_from_attn_type_list(self, n_layers: int) -> list[LayerSpec]:
        types = self._listed("attn_type_list", n_layers)
        if any(t != 1 for t in types):
            raise ArchitectureError(f"{self.label}: config key 'attn_type_list' marks lightning (linear) attention "
                                    f"layers (0); their state size is not supported yet")
        return [LayerSpec("full_attention")] * n_layers

    def _specs_from_chunks(self, n_layers: int) -> list[LayerSpec]:
        no_rope = self.c.get("no_rope_layers")
        if not no_rope:
            no_rope = [int((i + 1) % LLAMA4_NO_ROPE_LAYER_INTERVAL != 0) for i in range(n_layers)]
            self.assumptions.append(
                f"no_rope_layers not in config.json: Llama4TextConfig default, every "
                f"{LLAMA4_NO_ROPE_LAYER_INTERVAL}th layer is a global (NoPE) full-attention layer")
        if len(no_rope) != n_layers:
            raise ArchitectureError(f"{self.label}: config key 'no_rope_layers' has {len(no_rope)} entries but "
                                    f"num_hidden_layers is {n_layers}")
        # a RoPE layer (1) uses chunked local attention; a NoPE layer (0) attends globally
        return [LayerSpec("chunked_attention" if uses_rope else "full_attention") for uses_rope in no_rope]

    def _specs_from_window(self, n_layers: int) -> list[LayerSpec]:
        c = self.c
        pattern = c.get("sliding_window_pattern")
        if isinstance(pattern, int) and pattern > 0:
            return [LayerSpec("full_attention" if (i + 1) % pattern == 0 else "sliding_attention")
                    for i in range(n_layers)]
        first_sliding = c.get("max_window_layers") if "use_sliding_window" in c else 0
        first_sliding = first_sliding if isinstance(first_sliding, int) else 0
        return [LayerSpec("sliding_attention" if i >= first_sliding else "full_attention") for i in range(n_layers)]

    def indexer_layers(self, n_layers: int) -> list[bool]:
        """Which layers own a sparse-attention indexer (DeepSeek V3.2, GLM-5): indexer_types ("full" own,
        "shared" reuse another's top-k), else index_topk_pattern (F / S), else every layer i with
        max(i - index_skip_topk_offset + 1, 0) % index_topk_freq == 0 (vLLM deepseek_v32/attention.py)."""
        c = self.c
        if c.get("indexer_types") is not None:
            return [t == "full" for t in self._listed("indexer_types", n_layers, ("full", "shared"))]
        if c.get("index_topk_pattern") is not None:
            return [t == "F" for t in self._listed("index_topk_pattern", n_layers, ("F", "S"))]
        freq, offset = c.get("index_topk_freq", 1), c.get("index_skip_topk_offset", 2)
        return [max(i - offset + 1, 0) % freq == 0 for i in range(n_layers)]

    # ---- the caches of each kind --------------------------------------------------------------
    def attention_cache(self, kind: str, kv_heads: Optional[int] = None):
        heads, head_dim = kv_heads or self.kv_heads(), self.head_dim()
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

    def attention(self, cache, kv_heads: int, head_dim: int, index_key: Optional[IndexKey] = None) -> Attention:
        return Attention(cache, hidden=self.c["hidden_size"], q_heads=self.c["num_attention_heads"],
                         kv_heads=kv_heads, head_dim=head_dim, bias=bool(self.c.get("attention_bias")),
                         output_gate=bool(self.c.get("attn_output_gate")), qk_norm=self.qk_norm(),
                         sinks="attention_sinks" in self.traits, index_key=index_key)

    def mla(self, kind: str, with_indexer: bool = True) -> MlaAttention:
        if kind not in ("full_attention", "deepseek_sparse_attention"):
            raise ArchitectureError(f"{self.label}: MLA combined with {kind} layers is not supported")
        rank, rope = self.require("kv_lora_rank", "qk_rope_head_dim", why="multi-head latent attention")
        sparse = self.has("index_head_dim") or kind == "deepseek_sparse_attention"
        indexer = None
        if sparse and with_indexer:
            index_dim = self.require("index_head_dim", why="the sparse-attention indexer")[0]
            index_heads = self.c.get("index_n_heads")
            indexer = SparseIndexer(index_dim, index_heads if _positive_int(index_heads) else 64)
        top_k = self.c.get("index_topk") if sparse else None
        cache = MlaLatent(rank, rope, fp8_sparse_format=sparse, attend_top_k=top_k if isinstance(top_k, int) else None)
        (nope, _, v_dim), problem = self.counted("qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim",
                                                 why="MLA attention")
        index_heads = 0
        if indexer is not None and problem is None:
            (index_heads, _), problem = self.counted("index_n_heads", "index_head_dim", why="sparse-attention indexer")
        return MlaAttention(cache, indexer, hidden=self.c["hidden_size"], q_heads=self.c["num_attention_heads"],
                            q_lora_rank=self.c.get("q_lora_rank") or None, qk_nope_head_dim=nope, v_head_dim=v_dim,
                            index_q_heads=index_heads, problem=problem)

    def mamba2(self) -> Mamba2:
        heads, head_dim, groups, state, kernel = self.require(
            "mamba_num_heads", "mamba_head_dim", "n_groups", "ssm_state_size", "conv_kernel",
            why="Mamba2 layers")
        width = self.dtype_bytes()
        # the SSM state in the config's mamba_ssm_cache_dtype, float32 when it names none (vLLM
        # NemotronHForCausalLMConfig.DEFAULT_MAMBA_SSM_CACHE_DTYPE, transformers NemotronHConfig's default)
        declared = self.c.get("mamba_ssm_cache_dtype")
        if declared is None:
            self.assumptions.append("mamba_ssm_cache_dtype not in config.json: the SSM state in float32 (vLLM's "
                                    "NemotronH default)")
        ssm_width = DTYPE_BYTES[declared] if declared is not None else 4
        conv_dim = heads * head_dim + 2 * groups * state
        cache = RecurrentState("mamba2", (("conv", (kernel - 1) * conv_dim, width),
                                          ("ssm", heads * head_dim * state, ssm_width)), conv_rows=kernel - 1)
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
                                                  ("ssm", v_heads * v_dim * k_dim, ssm_width)), conv_rows=kernel - 1)
        return GatedDeltaNet(cache, self.c["hidden_size"], k_heads, v_heads, k_dim, v_dim, kernel)

    def kda(self) -> KimiDeltaAttention:
        """Kimi Delta Attention: per sequence, one conv state of 3 x heads x head_dim x (kernel - 1) in
        the model dtype and a recurrent state of heads x head_dim x head_dim in float32 (vLLM
        mamba_utils.kda_state_shape / kda_state_dtype, "auto" -> float32)."""
        config = self.c["linear_attn_config"]
        values = []
        for key in ("num_heads", "head_dim", "short_conv_kernel_size"):
            if not _positive_int(config.get(key)) or config[key] > 1 << 20:
                raise ArchitectureError(f"{self.label}: config key 'linear_attn_config'.{key} must be a whole number "
                                        f"> 0; got {config.get(key)!r}")
            values.append(config[key])
        heads, head_dim, kernel = values
        inner = heads * head_dim
        cache = RecurrentState("kda", (("conv", (kernel - 1) * 3 * inner, self.dtype_bytes()),
                                       ("ssm", heads * head_dim * head_dim, 4)), conv_rows=kernel - 1)
        problem = (f"{self.label}: cannot count the KDA weights: config key 'linear_attn_config'.use_full_rank_gate "
                   f"(Kimi K3's full-rank gate) is not counted" if config.get("use_full_rank_gate") else None)
        return KimiDeltaAttention(cache, self.c["hidden_size"], heads, head_dim, kernel, problem=problem)

    def mixer(self, spec: LayerSpec):
        kind = spec.kind
        if kind is None:
            return NoMixer()
        if kind == "mamba2":
            return self.mamba2()
        if kind == "linear_attention":
            return self.gated_deltanet()
        if kind == "kda":
            return self.kda()
        if self.has("kv_lora_rank"):
            return self.mla(kind, with_indexer=spec.indexer)
        if kind == "deepseek_sparse_attention":
            raise ArchitectureError(f"{self.label}: config key 'layer_types' names deepseek_sparse_attention layers "
                                    f"but the config has no kv_lora_rank (their latent size)")
        cache = self.attention_cache(kind, spec.kv_heads)  # NAS: the layer's own KV head count
        kv_heads = cache.num_kv_heads
        index_key = None
        if spec.index_key:
            index_key = IndexKey(self.c["sparse_attention_config"]["sparse_index_dim"])
        return self.attention(cache, kv_heads, cache.k_head_dim, index_key)

    # ---- experts and MLPs ---------------------------------------------------------------------
    def experts(self) -> int:
        for key in ("n_routed_experts", "num_local_experts", "num_experts"):
            if _positive_int(self.c.get(key)):
                return self.c[key]
        return 0

    def experts_per_token(self) -> int:
        for key in ("num_experts_per_tok", "experts_per_token", "top_k_experts", "num_experts_per_token"):
            if _positive_int(self.c.get(key)):
                return self.c[key]
        return 0

    def layer_is_moe(self, index: int, experts: int) -> bool:
        c = self.c
        if not experts:
            return False
        if isinstance(c.get("mlp_layer_types"), list):  # GLM-5: "dense" or "sparse" per layer
            return c["mlp_layer_types"][index] == "sparse"
        if isinstance(c.get("moe_layer_freq"), list):  # MiniMax M3: 0 dense, 1 MoE per layer
            return c["moe_layer_freq"][index] != 0
        if isinstance(c.get("first_k_dense_replace"), int):
            return index >= c["first_k_dense_replace"] and (index % (c.get("moe_layer_freq") or 1) == 0)
        if index in (c.get("mlp_only_layers") or []):
            return False
        step = c.get("decoder_sparse_step") or c.get("interleave_moe_layer_step") or 1
        return (index + 1) % step == 0

    def moe(self, experts: int) -> MixtureOfExperts:
        """The MoE block (the same value for every MoE layer: built once)."""
        cache = self.__dict__.setdefault("_moe_blocks", {})
        if experts not in cache:
            cache[experts] = self._moe(experts)
        return cache[experts]

    def _moe(self, experts: int) -> MixtureOfExperts:
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
        count = self.c.get("n_shared_experts") or self.c.get("num_shared_experts") or 0
        if self.c.get("moe_shared_expert_intermediate_size") is not None:  # Nemotron 3: its own width, x count
            shared, shared_gate = count * self.c["moe_shared_expert_intermediate_size"], False
        elif self.c.get("dense_intermediate_size") is not None:  # MiniMax M3: expert width x count
            shared, shared_gate = count * self.c.get("shared_intermediate_size", size), False
        else:
            shared_size = self.c.get("shared_expert_intermediate_size") or self.c.get("shared_intermediate_size") or 0
            shared, shared_gate = count * size + shared_size, bool(shared_size)
        if "shared_expert" in self.traits:
            shared += self.c["intermediate_size"]
        score_bias = ("score_bias" in self.traits and self.c.get("topk_method") in (None, "noaux_tc")
                      and self.c.get("use_routing_bias") is not False)
        return MixtureOfExperts(hidden, experts, per_token, size, shared_intermediate=shared, shared_gate=shared_gate,
                                score_bias=score_bias, gated=self.gated_mlp(), latent=self.c.get("moe_latent_size"))

    def ffn(self, index: int, spec: LayerSpec):
        if spec.ffn == "none":
            return NoFfn()
        if self.c.get("enable_moe_block"):
            return UncountedFfn(f"{self.label}: cannot count the weights of this MoE block layout "
                                f"(enable_moe_block) exactly; give the checkpoint size instead (--weights-gib)")
        experts = self.experts()
        if spec.ffn == "moe" or (spec.ffn == "auto" and self.layer_is_moe(index, experts)):
            if not experts:
                return UncountedFfn(f"{self.label}: MoE layers without an expert count (n_routed_experts) are not "
                                    f"counted")
            return self.moe(experts)
        size = spec.intermediate or self.c.get("dense_intermediate_size") or self.c.get("intermediate_size_mlp") \
            or self.c.get("intermediate_size")
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

    def checkpoint(self, layers=()) -> tuple[Optional[CheckpointFormat], Optional[str]]:
        quantization = self.top.get("quantization_config") or self.c.get("quantization_config")
        components = []  # per layer, its quantizable components: only an ignore list needs them
        if quantization or self.hf_quant_config:
            try:
                components = [{c.name for c in layer.mixer.parameters() + layer.ffn.parameters() if c.quantizable}
                              for layer in layers]
            except ArchitectureError:
                pass  # the weights cannot be counted anyway
        try:
            return checkpoint_format(self.dtype(), quantization, self.hf_quant_config, self.label, components), None
        except ArchitectureError as error:
            return None, str(error)

    # ---- multi-token prediction (--speculative mtp) -------------------------------------------
    def mtp(self, n_layers: int):
        """The model's MTP layers (index n_layers on), their module weights, and what cannot be read:
        (layers, components, problem, weights_problem)."""
        c = self.c
        if _positive_int(c.get("num_mtp_modules")) and c.get("use_mtp", True):
            return (), (), (f"{self.label}: --speculative mtp: config key 'num_mtp_modules': MiniMax's MTP modules "
                            f"are not read"), None
        hidden = c["hidden_size"]
        experts = self.experts()
        ffn = "moe" if experts else "mlp"
        weights_problem = None
        if _positive_int(c.get("num_nextn_predict_layers")):
            count = c["num_nextn_predict_layers"]
            pattern = c.get("mtp_layers_block_type") or c.get("mtp_hybrid_override_pattern")
            if pattern is not None:  # Nemotron 3: each module is the pattern's layers
                if isinstance(pattern, str):
                    pattern = list(pattern)
                unknown = sorted({str(p) for p in pattern} - set(BLOCK_KINDS))
                if unknown:
                    return (), (), (f"{self.label}: config key 'mtp_layers_block_type' names kinds this tool cannot "
                                    f"size: {', '.join(unknown)}"), None
                specs = [LayerSpec(*BLOCK_KINDS[name]) for name in pattern] * count
                weights_problem = (f"{self.label}: --speculative mtp: the weights of Nemotron's MTP module outside "
                                   f"its layers are not counted")
            else:  # DeepSeek MTP: a decoder layer of the model's kind (sparse attention keeps its indexer)
                kind = "deepseek_sparse_attention" if c.get("index_head_dim") is not None else "full_attention"
                specs = [LayerSpec(kind, ffn)] * count
            # DeepSeek MTP module (vLLM deepseek_mtp.py): eh_proj 2H x H, enorm, hnorm, shared_head.norm
            from .layers import Component

            components = (Component("mtp_projection", count * 2 * hidden * hidden, "replicated", quantizable=False),
                          Component("norms", count * 3 * hidden, "replicated", quantizable=False))
        elif _positive_int(c.get("mtp_num_hidden_layers")):
            count = c["mtp_num_hidden_layers"]
            specs = [LayerSpec("full_attention", ffn)] * count
            components = ()
            weights_problem = (f"{self.label}: --speculative mtp: the weights of this MTP module outside its layers "
                               f"(mtp_num_hidden_layers) are not counted")
        else:
            return (), (), None, None
        layers = []
        for index, spec in enumerate(specs):
            layers.append(Layer(self.mixer(spec), self.ffn(n_layers + index, dataclasses.replace(
                spec, ffn=spec.ffn if spec.ffn != "auto" else ffn))))
        return tuple(layers), components, None, weights_problem

    def read(self) -> Architecture:
        problems = check_keys(self.c, self.label)
        if self.top is not self.c:  # a multimodal wrapper: the keys it carries for the whole model
            top = check_keys({k: v for k, v in self.top.items() if k in KEYS}, self.label)
            problems = KeyProblems(problems.weights or top.weights, problems.checkpoint or top.checkpoint,
                                   problems.rejected | top.rejected)
            self.top = {k: v for k, v in self.top.items() if k not in top.rejected}
        # a rejected weights or checkpoint key is not read at all: the count or the format that needs it
        # is refused with the key's problem when asked for
        self.c = {k: v for k, v in self.c.items() if k not in problems.rejected}
        self.key_problems = problems
        n_layers = self.layer_count()
        stated = self.c.get("num_hidden_layers")
        if isinstance(self.c.get("layers_block_type"), list) and stated is not None \
                and stated != len(self.c["layers_block_type"]):
            raise ArchitectureError(f"{self.label}: config key 'layers_block_type' has "
                                    f"{len(self.c['layers_block_type'])} entries but num_hidden_layers is {stated}")
        if self.c.get("max_position_embeddings") is None and self.c.get("model_max_length") is not None:
            max_len = self.c["model_max_length"]
            self.assumptions.append(f"max_position_embeddings not in config.json: model_max_length {max_len:,} taken "
                                    f"as the longest context (vLLM's KimiLinearConfig would default to 4,096: serve "
                                    f"with --max-model-len)")
        else:
            max_len, = self.require("max_position_embeddings", why="the model")
        hidden, heads = self.require("hidden_size", "num_attention_heads", why="the model")
        specs = self.layer_specs(n_layers)
        if any(spec.kind == "deepseek_sparse_attention" or spec.kind == "full_attention" for spec in specs) \
                and self.has("index_head_dim"):
            specs = [dataclasses.replace(spec, indexer=own) for spec, own in zip(specs, self.indexer_layers(n_layers))]
        for key, allowed in (("mlp_layer_types", ("dense", "sparse")), ("moe_layer_freq", (0, 1))):
            if isinstance(self.c.get(key), list):
                self._listed(key, n_layers, allowed)
        mixers: dict = {}
        layer_mixers = []
        for spec in specs:
            key = (spec.kind, spec.kv_heads, spec.indexer, spec.index_key)
            if key not in mixers:
                mixers[key] = self.mixer(spec)
            layer_mixers.append(mixers[key])
        shared = self.c.get("num_kv_shared_layers") or 0
        if shared:
            if not 0 < shared < n_layers:
                raise ArchitectureError(f"{self.label}: config key 'num_kv_shared_layers' {shared} must be below "
                                        f"num_hidden_layers {n_layers}")
            # the last `shared` layers read an earlier layer's cache; their projections are the config's
            # plain attention shapes
            kv_heads, head_dim = self.c.get("num_key_value_heads", 1), self.c.get("head_dim")
            layer_mixers[-shared:] = [self.attention(SharedKv(specs[i].kind), kv_heads, head_dim)
                                      for i in range(n_layers - shared, n_layers)]
        layers = tuple(Layer(mixer, self.ffn(index, specs[index])) for index, mixer in enumerate(layer_mixers))
        vocab = self.c.get("vocab_size")
        parameter_problem = None
        if not isinstance(vocab, int) or vocab < 0:
            vocab, parameter_problem = None, f"{self.label}: cannot count the embedding weights: config.json lacks " \
                                             f"vocab_size"
        kv_heads = self.c.get("num_key_value_heads")
        dense = self.c.get("intermediate_size_mlp") or self.c.get("intermediate_size")
        expert_size = self.c.get("moe_intermediate_size") or self.c.get("intermediate_size")
        try:
            mtp_layers, mtp_components, mtp_problem, mtp_weights = self.mtp(n_layers)
        except ArchitectureError as error:  # an MTP layer the reader cannot build: only --speculative mtp needs it
            mtp_layers, mtp_components, mtp_problem, mtp_weights = (), (), str(error), None
        names = [name for source in (self.top, self.c) for name in (source.get("architectures") or [])
                 if isinstance(name, str)]
        eagle = 3 if any("Eagle3" in name for name in names) else 2 if any("Eagle" in name for name in names) else 0
        checkpoint, checkpoint_problem = self.checkpoint(layers)
        if self.key_problems.checkpoint:
            checkpoint, checkpoint_problem = None, self.key_problems.checkpoint
        parameter_problem = self.key_problems.weights or parameter_problem
        return Architecture(
            num_hidden_layers=n_layers, max_position_embeddings=max_len, hidden_size=hidden, num_attention_heads=heads,
            layers=layers, vocab_size=vocab,
            tie_word_embeddings=bool(self.top.get("tie_word_embeddings", self.c.get("tie_word_embeddings", False))),
            num_key_value_heads=kv_heads if isinstance(kv_heads, int) else 0, experts=self.experts(),
            experts_per_token=self.experts_per_token(),
            expert_intermediate_size=expert_size if isinstance(expert_size, int) else None,
            dense_intermediate_size=dense if isinstance(dense, int) else None,
            dtype=self.dtype(), checkpoint=checkpoint, checkpoint_problem=checkpoint_problem,
            parameter_problem=parameter_problem, not_counted=self.not_counted(), assumptions=tuple(self.assumptions),
            mtp_layers=mtp_layers, mtp_components=mtp_components, mtp_problem=mtp_problem,
            mtp_weights_problem=mtp_weights, eagle=eagle,
            draft_vocab_size=self.c.get("draft_vocab_size") if _positive_int(self.c.get("draft_vocab_size")) else None,
            label=self.label)


def read_architecture(config: Mapping[str, Any], label: str = "model",
                      hf_quant_config: Optional[Mapping[str, Any]] = None) -> Architecture:
    """The model's layers and facts, or ArchitectureError naming what is missing."""
    if not isinstance(config, Mapping):
        raise ArchitectureError(f"{label}: config must be a JSON object")
    return _Reader(config, label, hf_quant_config).read()
