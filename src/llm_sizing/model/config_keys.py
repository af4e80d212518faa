"""The config keys that decide a model's layer structure, cache size or weights: the ones the reader
understands, each with the values it accepts, and the families of keys it refuses when it meets
one it does not know. Fail closed by construction: every key of the language model's config that
looks structural (`STRUCTURAL`) must be in `KEYS`, and every key in `KEYS` must hold a value its
check accepts, before anything is read; otherwise one line names the key (`check_keys`). Pure.

docs/architectures.md is generated from these tables (scripts/regen_docs.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

from ..errors import ArchitectureError

Check = Callable[[Any], Optional[str]]  # None when the value is accepted, else what is wrong


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


#: the largest value any count or size may have (a layer count or a width beyond these is no model
#: and would only make the arithmetic slow): layers, then widths and heads, then token counts
MAX_LAYERS = 10_000
MAX_WIDTH = 1 << 24
MAX_TOKENS = 1 << 31


def whole(low: int, high: int) -> Check:
    def checked(value) -> Optional[str]:
        return None if _int(value) and low <= value <= high else f"must be a whole number from {low:,} to {high:,}"
    return checked


positive = whole(1, MAX_WIDTH)
non_negative = whole(0, MAX_WIDTH)
layers = whole(1, MAX_LAYERS)
some_layers = whole(0, MAX_LAYERS)
tokens = whole(1, MAX_TOKENS)


def or_null(check: Check) -> Check:
    def checked(value) -> Optional[str]:
        problem = None if value is None else check(value)
        return problem and f"{problem} (or null)"
    return checked


positive_or_null = or_null(positive)
non_negative_or_null = or_null(non_negative)


def boolean(value) -> Optional[str]:
    return None if isinstance(value, bool) else "must be true or false"


def text(value) -> Optional[str]:
    return None if isinstance(value, str) else "must be a string"


def any_value(value) -> Optional[str]:
    return None


def mapping(value) -> Optional[str]:
    return None if isinstance(value, Mapping) else "must be a JSON object"


def mapping_or_null(value) -> Optional[str]:
    return None if value is None or isinstance(value, Mapping) else "must be a JSON object or null"


def list_of(check: Check, what: str) -> Check:
    def checked(value) -> Optional[str]:
        if not isinstance(value, list):
            return f"must be a list of {what}"
        for item in value:
            if check(item) is not None:
                return f"must be a list of {what}; found {item!r}"
        return None
    return checked


def one_of(*allowed) -> Check:
    def checked(value) -> Optional[str]:
        return None if value in allowed else f"must be one of {', '.join(map(repr, allowed))}"
    return checked


def only(value_ok: Callable[[Any], bool], why: str) -> Check:
    """Accepted only where the feature is off; `why` says what the tool does not count."""
    def checked(value) -> Optional[str]:
        return None if value_ok(value) else why
    return checked


def either(*checks: Check) -> Check:
    def checked(value) -> Optional[str]:
        problems = [check(value) for check in checks]
        return None if any(p is None for p in problems) else " or ".join(p for p in problems if p)
    return checked


@dataclass(frozen=True)
class Key:
    name: str
    check: Check
    feature: str  # what the reader does with it (docs/architectures.md)
    families: str  # model families whose configs carry it
    effect: str = "read"  # "read": sizes depend on it; "none": understood, changes no size

    @property
    def scope(self) -> str:
        """What needs the key: "cache" (the KV cache: refused when the config is read), "weights" (the
        parameter count) or "checkpoint" (the weights' format): those two refused when used, so
        that the seed's rule, which needs only the cache, still sizes the model."""
        return ("checkpoint" if self.name in CHECKPOINT_KEYS else "weights" if self.name in WEIGHT_KEYS
                else "cache")


#: keys only the parameter count reads
WEIGHT_KEYS = frozenset({
    "vocab_size", "tie_word_embeddings", "intermediate_size", "intermediate_size_mlp", "attention_bias", "qkv_bias",
    "attn_output_gate", "use_qk_norm", "qk_norm_type", "q_lora_rank", "qk_nope_head_dim", "v_head_dim",
    "index_n_heads", "use_conv_bias", "n_routed_experts", "num_local_experts", "num_experts", "num_experts_per_tok",
    "experts_per_token", "top_k_experts", "moe_intermediate_size", "first_k_dense_replace", "moe_layer_freq",
    "mlp_only_layers", "decoder_sparse_step", "interleave_moe_layer_step", "n_shared_experts",
    "shared_expert_intermediate_size", "shared_intermediate_size", "enable_moe_block", "hidden_size_per_layer_input",
    "vocab_size_per_layer_input", "use_double_wide_mlp", "mlp_hidden_act", "num_nextn_predict_layers",
    "mtp_num_hidden_layers", "num_mtp_modules", "mtp_transformer_layers", "mla_use_output_gate",
    "attention_output_gate", "routed_expert_hidden_size", "moe_latent_size", "moe_shared_expert_intermediate_size",
    "num_experts_per_token", "num_shared_experts", "dense_intermediate_size", "mlp_layer_types",
    "use_full_rank_gate", "draft_vocab_size"})
#: keys only the checkpoint's format reads
CHECKPOINT_KEYS = frozenset({"quantization_config"})


K = Key
NONE = "none"
#: what transformers' PretrainedConfig serialises for every model (generation and output settings)
TRANSFORMERS_GENERIC = ("output_attentions", "output_hidden_states", "num_beams", "num_beam_groups",
                        "num_return_sequences", "no_repeat_ngram_size", "encoder_no_repeat_ngram_size", "top_k",
                        "chunk_size_feed_forward")
#: dtype names a config may give (transformers' names and their short forms)
DTYPES = ("bfloat16", "float16", "float32", "half", "float", "bf16", "fp16", "fp32")
KEYS: dict[str, Key] = {k.name: k for k in (
    # ---- the model's dimensions -------------------------------------------------------------
    K("architectures", list_of(text, "strings"), "the model class names (an EAGLE draft head is known by its "
                                                 "name)", "all"),
    K("num_hidden_layers", layers, "decoder layers", "all"),
    K("max_position_embeddings", tokens, "longest context", "all"),
    K("hidden_size", positive, "model width", "all"),
    K("num_attention_heads", positive, "query heads", "all"),
    K("num_key_value_heads", positive_or_null, "KV heads (GQA / MQA); null where block_configs give them per "
                                                     "layer", "all with attention"),
    K("head_dim", positive_or_null, "attention head size (else hidden / heads)", "most"),
    K("attention_head_dim", positive, "attention head size (Nemotron-H)", "Nemotron-H"),
    K("vocab_size", positive, "embedding and lm_head rows", "all"),
    K("tie_word_embeddings", boolean, "lm_head shares the embedding", "all"),
    K("intermediate_size", positive_or_null, "MLP width (the expert width in some MoE families)", "all"),
    K("intermediate_size_mlp", positive, "dense MLP width beside MoE layers (Llama 4)", "Llama 4"),
    K("torch_dtype", one_of(*DTYPES), "the model dtype (non-quantized weights, recurrent state)", "all"),
    K("dtype", one_of(*DTYPES), "the model dtype (newer transformers)", "all"),
    K("attention_bias", boolean, "q/k/v/o biases", "Qwen2, gpt-oss, GLM"),
    K("mlp_bias", boolean, "MLP biases (not counted: Llama configs set false)", "Llama", NONE),
    K("qkv_bias", boolean, "q/k/v biases", "Qwen3-Coder"),
    K("use_bias", boolean, "linear biases in Mamba blocks (not counted)", "Nemotron-H", NONE),
    K("rotary_dim", positive, "partial rotary (no size effect)", "MiniMax", NONE),
    K("partial_rotary_factor", any_value, "partial rotary (no size effect)", "GLM, Qwen3-Next", NONE),
    K("layer_norm_epsilon", any_value, "norm epsilon", "Nemotron-H", NONE),
    K("attention_dropout", any_value, "training dropout (no size effect)", "most", NONE),
    K("original_max_position_embeddings", any_value, "RoPE scaling's base length (no size effect)", "Phi", NONE),
    K("attn_output_gate", boolean, "a gate on the attention output (q projection doubled)", "Qwen3-Next, Qwen3.5"),
    K("use_qk_norm", boolean, "per-head q/k norms", "Qwen3, Llama 4, GLM"),
    K("qk_norm_type", one_of("per_layer", "per_head"), "q/k norm over all heads (per_layer) or per head", "MiniMax"),
    # ---- which layer is which -----------------------------------------------------------------
    K("layer_types", list_of(text, "layer kind names"), "the kind of every layer", "gpt-oss, Qwen3.5, Gemma, GLM-5"),
    K("layers_block_type", list_of(text, "block names"), "the kind of every layer (mamba, attention, moe, mlp); its "
                                                         "length is the layer count", "Nemotron 3 / 3.5"),
    K("block_configs", list_of(mapping, "block objects"), "per-layer attention (KV heads, no_op) and MLP "
                                                          "(ffn_mult, no_op)", "Llama-Nemotron NAS"),
    K("linear_attn_config", mapping, "which layers are Kimi Delta Attention and their shapes", "Kimi Linear, K3"),
    K("sparse_attention_config", mapping, "which layers keep a block-sparse index key, and its width", "MiniMax M3"),
    K("attention_output_gate", only(lambda v: v in (False, None), "an attention output gate is not counted"),
      "an attention output gate: only false is read", "MiniMax M3"),
    K("mla_use_nope", any_value, "MLA without RoPE (the cache still holds the rope part)", "Kimi Linear", NONE),
    K("mla_use_output_gate", only(lambda v: v in (False, None), "an MLA output gate is not counted"),
      "an MLA output gate: only false is read", "Kimi K3"),
    K("use_full_rank_gate", only(lambda v: v in (False, None), "a full-rank KDA gate is not counted"),
      "a full-rank KDA gate: only false is read", "Kimi K3"),
    K("hybrid_override_pattern", text, "the kind of every layer, one symbol each (M, *, -, E)", "Nemotron-H"),
    K("full_attention_interval", layers, "every n-th layer full attention, the rest linear", "Qwen3-Next"),
    K("attn_type_list", list_of(one_of(0, 1), "0 (lightning) or 1 (softmax attention)"),
      "softmax (1) or lightning (0) attention per layer; lightning is refused", "MiniMax"),
    K("attention_chunk_size", tokens, "chunked local attention window", "Llama 4"),
    K("no_rope_layers", list_of(one_of(0, 1), "0 or 1"), "RoPE (chunked) or NoPE (global) per layer", "Llama 4"),
    K("sliding_window", or_null(tokens), "sliding-window size", "Mistral, gpt-oss, Gemma, Qwen"),
    K("use_sliding_window", boolean, "sliding window on or off", "Qwen"),
    K("sliding_window_pattern", layers, "every n-th layer global, the rest sliding", "Gemma 3"),
    K("max_window_layers", some_layers, "layers before this one attend globally", "Qwen"),
    K("num_kv_shared_layers", some_layers, "the last n layers reuse an earlier layer's cache", "Gemma 4"),
    K("global_head_dim", positive, "head size of the global layers", "Gemma 4"),
    K("attention_k_eq_v", boolean, "K and V share one projection on global layers", "Gemma 4"),
    K("num_global_key_value_heads", positive, "KV heads of the global layers", "Gemma 4"),
    K("use_bidirectional_attention", any_value, "bidirectional attention over images (no size effect)",
      "Gemma 4", NONE),
    K("final_logit_softcapping", any_value, "logit soft-capping (no size effect)", "Gemma", NONE),
    K("hidden_size_per_layer_input", only(lambda v: v in (0, None), "per-layer input embeddings are not counted"),
      "per-layer input embeddings: only 0 (none) is read", "Gemma 3n / 4"),
    K("vocab_size_per_layer_input", non_negative_or_null, "rows of the per-layer embeddings (none when their width "
                                                          "is 0)", "Gemma 3n / 4", NONE),
    K("use_double_wide_mlp", only(lambda v: v in (False, None), "the double-wide MLP of KV-shared layers is not "
                                                               "counted"),
      "double-wide MLP on KV-shared layers: only false is read", "Gemma 3n / 4"),
    # ---- multi-head latent attention and its sparse indexer ---------------------------------
    K("kv_lora_rank", positive, "MLA latent size (the cache per token)", "DeepSeek V2/V3, Kimi K2, GLM-4.7-Flash"),
    K("q_lora_rank", positive_or_null, "MLA query down-projection", "DeepSeek V3"),
    K("qk_rope_head_dim", positive, "MLA decoupled RoPE key (cached)", "DeepSeek V3"),
    K("qk_nope_head_dim", positive, "MLA per-head key size", "DeepSeek V3"),
    K("v_head_dim", positive, "MLA per-head value size", "DeepSeek V3"),
    K("index_head_dim", positive, "sparse-attention indexer key size (cached)", "DeepSeek V3.2"),
    K("index_n_heads", positive, "sparse-attention indexer heads", "DeepSeek V3.2"),
    K("index_topk", tokens, "latents each query attends", "DeepSeek V3.2"),
    K("indexer_types", list_of(one_of("full", "shared"), "full or shared"), "which layers own an indexer (full)",
      "GLM-5"),
    K("index_topk_freq", layers, "every n-th layer owns an indexer", "GLM-5.2"),
    K("index_skip_topk_offset", some_layers, "the first layer of the indexer rhythm", "GLM-5.2"),
    K("index_topk_pattern", or_null(list_of(one_of("F", "S"), "F or S")), "which layers own an indexer (F)",
      "GLM-5.2"),
    K("index_share_for_mtp_iteration", any_value, "MTP reuses the top-k (no size effect)", "GLM-5.2", NONE),
    K("indexer_rope_interleave", any_value, "a RoPE layout (no size effect)", "GLM-5", NONE),
    K("qk_head_dim", any_value, "qk_nope + qk_rope (the MLA code reads those)", "GLM-5", NONE),
    # ---- recurrent layers ---------------------------------------------------------------------
    K("mamba_num_heads", positive, "Mamba2 heads", "Nemotron-H"),
    K("mamba_head_dim", positive, "Mamba2 head size", "Nemotron-H"),
    K("n_groups", positive, "Mamba2 groups (B, C)", "Nemotron-H"),
    K("ssm_state_size", positive, "Mamba2 state size", "Nemotron-H"),
    K("conv_kernel", positive, "Mamba2 convolution width", "Nemotron-H"),
    K("use_conv_bias", boolean, "Mamba2 convolution bias", "Nemotron-H"),
    K("mamba_ssm_cache_dtype", one_of(*DTYPES), "dtype of the Mamba2 state", "Nemotron-H"),
    K("mamba_ssm_dtype", one_of(*DTYPES), "dtype of the recurrent state", "Qwen3.5"),
    K("mamba_hidden_act", any_value, "Mamba2 activation", "Nemotron-H", NONE),
    K("mamba_proj_bias", boolean, "Mamba2 projection bias (not counted: false in the configs read)",
      "Nemotron-H", NONE),
    K("mamba_chunk_size", any_value, "Mamba2 scan chunk (a kernel setting)", "Nemotron-H", NONE),
    K("chunk_size", any_value, "Mamba2 scan chunk (a kernel setting)", "Nemotron-H", NONE),
    K("expand", any_value, "Mamba2 expansion (the heads x head size say it)", "Nemotron-H", NONE),
    K("time_step_rank", any_value, "Mamba2 time-step projection setting (no size effect in Mamba2)", "Nemotron-H",
      NONE),
    K("use_mamba_kernels", any_value, "kernel choice (no size effect)", "Nemotron-H", NONE),
    K("linear_num_key_heads", positive, "Gated DeltaNet key heads", "Qwen3-Next, Qwen3.5"),
    K("linear_num_value_heads", positive, "Gated DeltaNet value heads", "Qwen3-Next, Qwen3.5"),
    K("linear_key_head_dim", positive, "Gated DeltaNet key head size", "Qwen3-Next, Qwen3.5"),
    K("linear_value_head_dim", positive, "Gated DeltaNet value head size", "Qwen3-Next, Qwen3.5"),
    K("linear_conv_kernel_dim", positive, "Gated DeltaNet convolution width", "Qwen3-Next, Qwen3.5"),
    # ---- experts ------------------------------------------------------------------------------
    K("n_routed_experts", positive, "routed experts per MoE layer", "DeepSeek, Kimi, GLM"),
    K("num_local_experts", positive, "routed experts per MoE layer", "Mixtral, gpt-oss, MiniMax"),
    K("num_experts", non_negative, "routed experts per MoE layer", "Qwen MoE, Gemma 4"),
    K("num_experts_per_tok", positive, "experts per token", "most MoE"),
    K("experts_per_token", positive, "experts per token", "gpt-oss"),
    K("top_k_experts", positive, "experts per token", "Gemma 4"),
    K("moe_intermediate_size", positive, "expert MLP width", "DeepSeek, Qwen MoE"),
    K("first_k_dense_replace", some_layers, "the first k layers are dense", "DeepSeek, Kimi, GLM"),
    K("moe_layer_freq", either(layers, list_of(one_of(0, 1), "0 (dense) or 1 (MoE)")),
      "every n-th layer (after the dense ones) is MoE; a list (MiniMax M3): 0 dense, 1 MoE per layer",
      "DeepSeek, GLM, MiniMax M3"),
    K("mlp_layer_types", list_of(one_of("dense", "sparse"), "dense or sparse"), "dense MLP or MoE per layer",
      "GLM-5"),
    K("dense_intermediate_size", positive, "dense MLP width beside MoE layers", "MiniMax M3"),
    K("moe_latent_size", positive_or_null, "experts run at this width between a down and an up projection",
      "Nemotron 3"),
    K("moe_shared_expert_intermediate_size", non_negative, "shared expert width", "Nemotron 3"),
    K("moe_shared_expert_overlap", any_value, "a scheduling setting (no size effect)", "Nemotron 3", NONE),
    K("num_experts_per_token", positive, "experts per token", "Kimi Linear"),
    K("num_shared_experts", non_negative, "shared experts (each of the expert width)", "Kimi Linear"),
    K("moe_renormalize", any_value, "routing normalisation (no size effect)", "Kimi Linear", NONE),
    K("moe_router_activation_func", any_value, "routing score (no size effect)", "Kimi Linear", NONE),
    K("num_expert_group", any_value, "grouped routing (no size effect)", "Kimi Linear", NONE),
    K("use_grouped_topk", any_value, "grouped routing (no size effect)", "Kimi Linear", NONE),
    K("moe_router_dtype", any_value, "router precision (no size effect beyond the router)", "GLM-5", NONE),
    K("routed_expert_hidden_size", only(lambda v: v is None, "latent experts (Kimi K3) are not counted"),
      "Kimi K3's latent experts: weights refused", "Kimi K3"),
    K("latent_moe_use_norm", any_value, "a norm in Kimi K3's latent experts (weights refused there)", "Kimi K3",
      NONE),
    K("mlp_only_layers", list_of(whole(0, MAX_LAYERS), "layer indices"), "these layers are dense", "Qwen MoE"),
    K("decoder_sparse_step", layers, "every n-th layer is MoE", "Qwen MoE"),
    K("interleave_moe_layer_step", layers, "every n-th layer is MoE", "Llama 4"),
    K("n_shared_experts", non_negative_or_null, "shared experts (each of the expert width)", "DeepSeek, Kimi"),
    K("shared_expert_intermediate_size", non_negative, "shared expert width (with a sigmoid gate)", "Qwen MoE"),
    K("shared_intermediate_size", non_negative, "shared expert width", "Hunyuan-style"),
    K("enable_moe_block", boolean, "a dense MLP beside the experts in every layer (weights refused)", "Gemma 4"),
    K("n_group", any_value, "grouped routing (no size effect)", "DeepSeek", NONE),
    K("topk_group", any_value, "grouped routing (no size effect)", "DeepSeek", NONE),
    K("topk_method", any_value, "routing method (no size effect)", "DeepSeek", NONE),
    K("norm_topk_prob", any_value, "routing normalisation (no size effect)", "MoE", NONE),
    K("routed_scaling_factor", any_value, "routing scale (no size effect)", "DeepSeek", NONE),
    K("scoring_func", any_value, "routing score (no size effect)", "DeepSeek", NONE),
    K("use_routing_bias", any_value, "routing bias, E parameters a layer (not counted)", "MiniMax", NONE),
    K("router_aux_loss_coef", any_value, "training loss (no size effect)", "MoE", NONE),
    K("output_router_logits", any_value, "training output (no size effect)", "MoE", NONE),
    K("router_jitter_noise", any_value, "training noise (no size effect)", "Mixtral", NONE),
    K("ep_size", any_value, "training-time expert parallelism (no size effect)", "DeepSeek", NONE),
    K("aux_loss_alpha", any_value, "training loss (no size effect)", "DeepSeek", NONE),
    K("seq_aux", any_value, "training loss (no size effect)", "DeepSeek", NONE),
    K("swiglu_limit", any_value, "activation clamp (no size effect)", "gpt-oss", NONE),
    K("mlp_hidden_act", any_value, "MLP activation: relu2 is ungated", "Nemotron-H"),
    # ---- multi-token prediction (speculative decoding) ----------------------------------------
    K("num_nextn_predict_layers", some_layers, "multi-token-prediction layers (--speculative mtp)",
      "DeepSeek V3, GLM, Kimi"),
    K("mtp_num_hidden_layers", some_layers, "multi-token-prediction layers (--speculative mtp)", "Qwen3.5"),
    K("mtp_use_dedicated_embeddings", boolean, "MTP layers' own embeddings (not counted)", "Qwen3.5", NONE),
    K("num_mtp_modules", some_layers, "multi-token-prediction modules (--speculative mtp)", "MiniMax"),
    K("mtp_hybrid_override_pattern", text, "the layers of a multi-token-prediction module", "Nemotron 3"),
    K("mtp_layers_block_type", list_of(text, "block names"), "the layers of a multi-token-prediction module",
      "Nemotron 3"),
    K("mtp_transformer_layers", some_layers, "layers per MTP module", "MiniMax"),
    K("use_mtp", boolean, "MTP modules present", "MiniMax", NONE),
    K("draft_vocab_size", positive, "an EAGLE-3 head's own lm_head rows (--speculative draft:MODEL)", "EAGLE-3 heads"),
    # ---- the checkpoint -----------------------------------------------------------------------
    K("quantization_config", mapping_or_null, "the checkpoint's quantization (weights.py)", "quantized checkpoints"),
    K("num_logits_to_keep", any_value, "generation setting (no size effect)", "Qwen3-Next", NONE),
    K("activation_situ_linear_beta", any_value, "an activation setting (no size effect)", "Kimi K3", NONE),
    K("attn_res_block_size", any_value, "an attention kernel setting (no size effect)", "Kimi K3", NONE),
    K("use_gemma_norm", any_value, "norm flavour (no size effect)", "MiniMax M3", NONE),
    K("swiglu_alpha", any_value, "activation clamp (no size effect)", "MiniMax M3", NONE),
    *(K(name, any_value, "a generation or training setting transformers writes for every model (no size effect)",
        "any (transformers PretrainedConfig)", NONE) for name in TRANSFORMERS_GENERIC),
    K("add_cross_attention", only(lambda v: v in (False, None), "cross-attention layers are not read"),
      "cross-attention: only false is read", "any (transformers PretrainedConfig)"),
    K("pruned_heads", only(lambda v: v in ({}, None), "pruned attention heads are not read"),
      "pruned heads: only none is read", "any (transformers PretrainedConfig)"),
    K("tie_encoder_decoder", only(lambda v: v in (False, None), "encoder-decoder models are not read"),
      "encoder-decoder tying: only false is read", "any (transformers PretrainedConfig)"),
    K("is_encoder_decoder", only(lambda v: v in (False, None), "encoder-decoder models are not read"),
      "an encoder-decoder model: only false is read", "any (transformers PretrainedConfig)"),
    K("model_max_length", tokens, "the longest context, where max_position_embeddings is absent", "Kimi Linear"),
    K("cross_attention_hidden_size", only(lambda v: v is None, "cross-attention layers are not read"),
      "cross-attention width: only null is read", "any (transformers PretrainedConfig)"),
)}

#: Key names that decide structure, cache size or weights in some family: a key of the language
#: model's config that matches one and is not in KEYS is refused (`docs/architectures.md`).
STRUCTURAL: tuple[tuple[str, str], ...] = (
    (r"layer", "lists or counts of layers (layer types, per-layer settings, layer counts)"),
    (r"pattern", "layer patterns"),
    (r"block", "block layouts (block_configs, layers_block_type)"),
    (r"window", "sliding or local attention windows"),
    (r"attn|attention", "attention variants and their settings"),
    (r"sparse|linear|lightning|mamba|ssm|conv|kda|delta|rwkv|retention|recurren|state", "sparse, linear and "
                                                                                       "recurrent layers"),
    (r"nextn|mtp|eagle|draft|specul", "multi-token prediction and draft layers"),
    (r"head", "attention heads and head sizes"),
    (r"kv|key_value|lora_rank|latent|index", "KV cache shapes, latent attention, indexers"),
    (r"expert|moe|rout|shared|top_?k", "experts and routing"),
    (r"dense|intermediate|ffn|mlp", "feed-forward sizes"),
    (r"quant|dtype", "weight and cache formats"),
    (r"vocab|embed|tie_", "embeddings"),
    (r"^n_|^num_", "counts of anything"),
    (r"chunk|cross", "chunked and cross attention"),
    (r"_size$|_dim$|_dims$|_rank$", "dimensions"),
)
_STRUCTURAL = re.compile("|".join(f"(?:{pattern})" for pattern, _ in STRUCTURAL))


def is_structural(name: str) -> bool:
    return bool(_STRUCTURAL.search(name))


@dataclass(frozen=True)
class KeyProblems:
    """What check_keys defers: the first problem of a weights key and of a checkpoint key."""

    weights: Optional[str] = None
    checkpoint: Optional[str] = None
    rejected: frozenset = frozenset()  # the deferred keys, which the reader must then not read


def check_keys(config: Mapping[str, Any], label: str, extra: Mapping[str, Key] = {}) -> KeyProblems:
    """Refuse, naming the key, a structural key the reader does not know or a cache key whose value
    its check rejects; return (not raise) the first problem of a weights or checkpoint key.
    `extra`: keys a recognised family adds (its own block's keys)."""
    deferred: dict[str, str] = {}
    rejected: set[str] = set()
    for name, value in config.items():
        key = extra.get(name) or KEYS.get(name)
        if key is None:
            if is_structural(name):
                raise ArchitectureError(f"{label}: config key '{name}' is not one this tool reads, and keys like it "
                                        f"change the layer structure, the cache or the weights; refusing rather than "
                                        f"guessing (what is read: docs/architectures.md)")
            continue
        problem = key.check(value)
        if problem:
            message = f"config key '{name}' {problem}; got {_shown(value)}"
            if key.scope == "cache":
                raise ArchitectureError(f"{label}: {message}")
            deferred[key.scope] = f"{deferred[key.scope]}; {message}" if key.scope in deferred else f"{label}: {message}"
            rejected.add(name)
    return KeyProblems(deferred.get("weights"), deferred.get("checkpoint"), frozenset(rejected))


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
