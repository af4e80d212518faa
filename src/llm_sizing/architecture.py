"""Hugging Face config.json -> the model's layers as KV specs. Pure: a dict in, frozen values out.

The reader recognises architectures by the fields their configs carry, never by model name:
`layer_types`, `hybrid_override_pattern` (Nemotron-H), `attention_chunk_size` (Llama 4),
`kv_lora_rank` (MLA), `index_head_dim` (DeepSeek V3.2 sparse attention), `linear_*` (Gated
DeltaNet), `global_head_dim` / `attention_k_eq_v` / `num_kv_shared_layers` (Gemma 4).
What it cannot read exactly it refuses, naming the missing fields (ArchitectureError).
Where a value comes from the config class's documented default rather than the file, the
`assumptions` say so. Sources per rule: docs/kv-cache.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from .errors import ArchitectureError
from .kv import ChunkedLocal, FullAttention, MlaLatent, RecurrentState, SharedKv, SlidingWindow, SparseIndexer

DTYPE_BYTES = {"bfloat16": 2, "float16": 2, "half": 2, "float32": 4, "float": 4, "fp32": 4, "bf16": 2, "fp16": 2}
LAYER_TYPES = ("full_attention", "sliding_attention", "chunked_attention", "linear_attention")
LLAMA4_NO_ROPE_LAYER_INTERVAL = 4  # transformers Llama4TextConfig default


@dataclass(frozen=True)
class Architecture:
    """What sizing needs from a config: the layers' KV specs in order, and the limits."""

    num_hidden_layers: int
    max_position_embeddings: int
    hidden_size: int
    num_attention_heads: int
    #: per decoder layer, the caches it keeps: () for a layer without cache (Nemotron-H MLP),
    #: (MlaLatent, SparseIndexer) for a DeepSeek V3.2 layer, one spec for most
    layers: tuple[tuple, ...]
    assumptions: tuple[str, ...] = ()

    def layer_counts(self) -> dict[str, int]:
        """Decoder layers per kind of cache, in order of first appearance ("none" for no cache)."""
        counts: dict[str, int] = {}
        for caches in self.layers:
            kind = "+".join(spec.kind for spec in caches) or "no_kv_cache"
            counts[kind] = counts.get(kind, 0) + 1
        return counts


def text_config(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """Multimodal configs nest the language model in `text_config` (or `llm_config`)."""
    for key in ("text_config", "llm_config", "language_config"):
        nested = config.get(key)
        if isinstance(nested, Mapping) and "num_hidden_layers" in nested:
            return nested
    return config


class _Reader:
    def __init__(self, config: Mapping[str, Any], label: str):
        self.c = text_config(config)
        self.top = config
        self.label = label
        self.assumptions: list[str] = []

    def has(self, key: str) -> bool:
        return self.c.get(key) is not None

    def require(self, *keys: str, why: str) -> list:
        missing = [k for k in keys if not isinstance(self.c.get(k), int) or isinstance(self.c.get(k), bool)
                   or self.c.get(k) <= 0]
        if missing:
            raise ArchitectureError(f"{self.label}: cannot size {why} exactly: config.json lacks "
                                    f"{', '.join(missing)} (positive integers)")
        return [self.c[k] for k in keys]

    def dtype_bytes(self, key_order=("torch_dtype", "dtype")) -> int:
        for key in key_order:
            for source in (self.c, self.top):
                value = source.get(key)
                if isinstance(value, str) and value in DTYPE_BYTES:
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
            unknown = sorted(set(kinds) - set(LAYER_TYPES))
            if unknown:
                raise ArchitectureError(f"{self.label}: layer_types has kinds this tool cannot size: "
                                        f"{', '.join(map(str, unknown))}; known: {', '.join(LAYER_TYPES)}")
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

    # ---- the spec of each kind ----------------------------------------------------------------
    def mla(self) -> MlaLatent:
        rank, rope = self.require("kv_lora_rank", "qk_rope_head_dim", why="multi-head latent attention")
        top_k = self.c.get("index_topk") if self.has("index_head_dim") else None
        return MlaLatent(rank, rope, fp8_sparse_format=self.has("index_head_dim"),
                         attend_top_k=top_k if isinstance(top_k, int) else None)

    def attention(self, kind: str) -> FullAttention:
        if self.has("kv_lora_rank"):
            if kind != "full_attention":
                raise ArchitectureError(f"{self.label}: MLA combined with {kind} layers is not supported")
            return self.mla()
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

    def mamba2(self) -> RecurrentState:
        heads, head_dim, groups, state, kernel = self.require(
            "mamba_num_heads", "mamba_head_dim", "n_groups", "ssm_state_size", "conv_kernel",
            why="Mamba2 layers")
        width = self.dtype_bytes()
        ssm_width = DTYPE_BYTES.get(str(self.c.get("mamba_ssm_cache_dtype")), width)
        conv_dim = heads * head_dim + 2 * groups * state
        return RecurrentState("mamba2", (("conv", (kernel - 1) * conv_dim, width),
                                         ("ssm", heads * head_dim * state, ssm_width)))

    def gated_deltanet(self) -> RecurrentState:
        k_heads, v_heads, k_dim, v_dim, kernel = self.require(
            "linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim", "linear_value_head_dim",
            "linear_conv_kernel_dim", why="Gated DeltaNet (linear attention) layers")
        width = self.dtype_bytes()
        # the recurrent state in the config's declared state dtype (Qwen3.5: mamba_ssm_dtype float32),
        # the conv state in the model dtype (vLLM MambaStateDtypeCalculator)
        ssm_width = DTYPE_BYTES.get(str(self.c.get("mamba_ssm_dtype")), width)
        conv_dim = k_dim * k_heads * 2 + v_dim * v_heads
        return RecurrentState("gated_deltanet", (("conv", (kernel - 1) * conv_dim, width),
                                                 ("ssm", v_heads * v_dim * k_dim, ssm_width)))

    def read(self) -> Architecture:
        n_layers, max_len = self.require("num_hidden_layers", "max_position_embeddings", why="the model")
        hidden, heads = self.require("hidden_size", "num_attention_heads", why="the model")
        kinds = self.layer_kinds(n_layers)
        builders = {"mamba2": self.mamba2, "linear_attention": self.gated_deltanet}
        specs: dict[str, Any] = {}
        layers = []
        indexer = (SparseIndexer(self.require("index_head_dim", why="the sparse-attention indexer")[0])
                   if self.has("index_head_dim") else None)
        for kind in kinds:
            if kind is None:
                layers.append(())
                continue
            if kind not in specs:
                specs[kind] = builders[kind]() if kind in builders else self.attention(kind)
            spec = specs[kind]
            layers.append((spec, indexer) if indexer and isinstance(spec, MlaLatent) else (spec,))
        shared = self.c.get("num_kv_shared_layers") or 0
        if shared:
            if not isinstance(shared, int) or not 0 < shared < n_layers:
                raise ArchitectureError(f"{self.label}: num_kv_shared_layers {shared} must be a whole number "
                                        f"below num_hidden_layers {n_layers}")
            layers[-shared:] = [(SharedKv(kinds[i]),) for i in range(n_layers - shared, n_layers)]
        return Architecture(n_layers, max_len, hidden, heads, tuple(layers), tuple(self.assumptions))


def read_architecture(config: Mapping[str, Any], label: str = "model") -> Architecture:
    """The model's layers as KV specs, or ArchitectureError naming what is missing."""
    if not isinstance(config, Mapping):
        raise ArchitectureError(f"{label}: config must be a JSON object")
    return _Reader(config, label).read()
