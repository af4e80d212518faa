"""Checkpoint formats and weight bytes by component. Pure.

A format is bits per parameter including its scales (docs/weights.md):
  bf16 / fp16 16; fp32 32
  fp8 (per-tensor scale) 8; fp8 with 128x128 block scales 8 + 32 / (128 x 128)
  int8 (per-channel scale) 8
  int4 AWQ / GPTQ, group g: 4 + (16-bit scale + 4-bit zero point) / g
  MXFP4: 4 + 8-bit shared exponent per 32 = 4.25
  NVFP4: 4 + 8-bit (e4m3) scale per 16 = 4.5
Which components a checkpoint quantizes comes from config.json's `quantization_config` or
ModelOpt's `hf_quant_config.json` (`checkpoint_format`, called by the architecture reader with
those documents); embeddings, lm_head, norms and routers stay in the model dtype (every supported
scheme excludes them). `--weight-format` overrides the quantized format (`CheckpointFormat.with_quantized`).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping, Optional

from ..errors import ArchitectureError


@dataclass(frozen=True)
class WeightFormat:
    name: str
    bits_per_param: Fraction
    description: str


def _fmt(name: str, bits, description: str) -> WeightFormat:
    return WeightFormat(name, Fraction(bits), description)


FORMATS: dict[str, WeightFormat] = {f.name: f for f in (
    _fmt("bf16", 16, "bfloat16"),
    _fmt("fp16", 16, "float16"),
    _fmt("fp32", 32, "float32"),
    _fmt("fp8", 8, "fp8 e4m3, one fp32 scale per tensor"),
    _fmt("fp8-block", 8 + Fraction(32, 128 * 128), "fp8 e4m3, one fp32 scale per 128 x 128 block"),
    _fmt("int8", 8, "int8, per-channel scales"),
    _fmt("int4-awq", 4 + Fraction(16 + 4, 128), "int4, group 128: fp16 scale + 4-bit zero point per group"),
    _fmt("int4-gptq", 4 + Fraction(16 + 4, 128), "int4, group 128: fp16 scale + 4-bit packed zero per group"),
    _fmt("mxfp4", 4 + Fraction(8, 32), "MXFP4: e2m1 values, one e8m0 scale per 32"),
    _fmt("nvfp4", 4 + Fraction(8, 16), "NVFP4: e2m1 values, one e4m3 scale per 16 (+ one fp32 per tensor)"),
)}
DTYPE_FORMAT = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32", "bf16": "bf16", "fp16": "fp16", "fp32": "fp32",
                "half": "fp16", "float": "fp32"}


@dataclass(frozen=True)
class CheckpointFormat:
    base: WeightFormat  # non-quantized components
    quantized: WeightFormat  # the quantized components
    experts_only: bool  # MXFP4 in gpt-oss: only the routed experts are quantized
    source: str  # where the format was read
    unquantized: frozenset = frozenset()  # components the checkpoint's ignore list keeps in the base dtype

    def format_of(self, component) -> WeightFormat:
        if not component.quantizable:
            return self.base
        if self.experts_only and component.name != "experts":
            return self.base
        if component.name in self.unquantized:
            return self.base
        return self.quantized

    def describe(self) -> str:
        """The format in a line: quantized format, and what stays in the base dtype."""
        if self.quantized == self.base:
            return self.base.name
        kept = ("everything but the routed experts" if self.experts_only
                else ", ".join(sorted(self.unquantized)) if self.unquantized else "")
        return f"{self.quantized.name}" + (f"; {self.base.name}: {kept}" if kept else "")

    def with_quantized(self, name: str) -> "CheckpointFormat":
        """The same checkpoint with every quantizable component in format `name` (--weight-format)."""
        if name not in FORMATS:
            raise ArchitectureError(f"--weight-format must be one of {', '.join(FORMATS)}; got {name!r}")
        return dataclasses.replace(self, quantized=FORMATS[name], experts_only=False, unquantized=frozenset(),
                                   source="--weight-format")


def _group_int4(bits: int, group: Optional[int], method: str) -> Optional[WeightFormat]:
    if bits != 4:
        return FORMATS["int8"] if bits == 8 else None
    group = group or 128
    return WeightFormat(f"int4-{method}-g{group}", 4 + Fraction(16 + 4, group),
                        f"int4, group {group}: fp16 scale + 4-bit zero point per group")


#: the quantizable components of each block an ignore list may name (layers.py component names)
BLOCK_COMPONENTS = {
    "attention": frozenset({"attention", "attention_kv", "attention_mla_down", "indexer"}),
    "indexer": frozenset({"indexer"}),
    "experts": frozenset({"experts"}),
    "shared_experts": frozenset({"shared_experts"}),
    "mlp": frozenset({"mlp"}),
    "mamba": frozenset({"mamba"}),
    "linear_attention": frozenset({"linear_attention"}),
    "layer": frozenset({"attention", "attention_kv", "attention_mla_down", "indexer", "experts", "shared_experts",
                        "mlp", "mamba", "linear_attention"}),
}
#: module names an ignore list may give that name nothing this tool quantizes (norms, routers,
#: embeddings, lm_head, vision towers, multi-token-prediction projections)
NOT_QUANTIZED = re.compile(r"norm|lm_head|embed|\.gate$|\bgate\b(?!_)|router|e_score_correction_bias|vision|visual|"
                           r"mm_projector|multi_modal|patch_merge|eh_proj|shared_head|conv1d")
#: the block a module path names (the first rule that matches): (pattern, block)
MODULE_BLOCKS = (
    (re.compile(r"self_attn\.indexer(\*|\.\*)?$"), "indexer"),
    (re.compile(r"self_attn|\battn\b|attention"), "attention"),
    (re.compile(r"shared_expert"), "shared_experts"),
    (re.compile(r"experts"), "experts"),
    (re.compile(r"mlp\.\(?(gate|up|gate_up|down)|\bmlp\b\*?$"), "mlp"),
    (re.compile(r"mamba|mixer"), "mamba"),
    (re.compile(r"linear_attn|deltanet"), "linear_attention"),
)
_LAYER = re.compile(r"layers\.(\d+)(\.|\*|$)")
_WHOLE_LAYER = re.compile(r"layers\.(\d+)\*?$")
#: an attention sub-module (`self_attn.q_proj`): the block counts as kept only when every linear part
#: of it is named, in one of these sets (GQA, fused QKV, MLA with and without q_lora)
_ATTENTION_PART = re.compile(r"self_attn\.([a-z_]+?)(\.weight)?\*?$")
ATTENTION_PARTS = (frozenset({"q_proj", "k_proj", "v_proj", "o_proj"}), frozenset({"qkv_proj", "o_proj"}),
                   frozenset({"q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj"}),
                   frozenset({"q_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj"}))


def ignored_components(entries, layer_components, label: str = "model") -> frozenset:
    """The components an ignore list keeps in the base dtype, in every layer that has them; an
    entry that names nothing this tool counts is skipped, one it cannot map, or that keeps a
    component in some of its layers only, is refused by name. `layer_components`: per layer, the
    names of its quantizable components."""
    layers_of: dict = {}
    for index, names in enumerate(layer_components):
        for name in names:
            layers_of.setdefault(name, set()).add(index)
    kept: dict = {}
    parts: dict = {}  # layer (None: every layer) -> the attention sub-modules named for it
    for entry in entries:
        if not isinstance(entry, str):
            raise ArchitectureError(f"{label}: the quantization's ignore list holds {entry!r}, not a module name")
        text = entry[3:] if entry.startswith("re:") else entry
        whole = _WHOLE_LAYER.search(text)
        part = _ATTENTION_PART.search(text)
        if whole:
            block, layers = "layer", {int(whole.group(1))}
        elif NOT_QUANTIZED.search(text):
            continue
        elif part and part.group(1) != "indexer":
            if part.group(1).startswith("indexer"):
                raise ArchitectureError(f"{label}: the quantization's ignore list keeps part of the sparse-attention "
                                        f"indexer ({part.group(1)}) unquantized; per-module formats are not read: "
                                        f"give --weight-format or --weights-gib")
            match = _LAYER.search(text)
            parts.setdefault(int(match.group(1)) if match else None, set()).add(part.group(1))
            continue
        else:
            block = next((b for pattern, b in MODULE_BLOCKS if pattern.search(text)), None)
            if block is None:
                raise ArchitectureError(f"{label}: the quantization's ignore list names {entry!r}, which this tool "
                                        f"cannot map to a part of the model; give --weight-format or --weights-gib")
            match = _LAYER.search(text)
            layers = {int(match.group(1))} if match else None  # None: every layer
        for component in BLOCK_COMPONENTS[block]:
            if component in layers_of:
                kept.setdefault(component, set()).update(layers_of[component] if layers is None
                                                         else layers & layers_of[component])
    for layer, named in parts.items():
        if not any(needed <= named for needed in ATTENTION_PARTS):
            raise ArchitectureError(f"{label}: the quantization's ignore list keeps part of an attention block "
                                    f"({', '.join(sorted(named))}) unquantized; per-module formats are not read: "
                                    f"give --weight-format or --weights-gib")
        for component in BLOCK_COMPONENTS["attention"] - {"indexer"}:
            if component in layers_of:
                kept.setdefault(component, set()).update(layers_of[component] if layer is None
                                                         else {layer} & layers_of[component])
    partial = sorted(c for c, layers in kept.items() if layers and layers != layers_of[c])
    if partial:
        raise ArchitectureError(f"{label}: the quantization's ignore list keeps {partial[0]} unquantized in some "
                                f"layers only ({len(kept[partial[0]])} of {len(layers_of[partial[0]])}); per-layer "
                                f"formats are not read: give --weight-format or --weights-gib")
    return frozenset(c for c, layers in kept.items() if layers)


def checkpoint_format(dtype: str, quantization: Any = None, hf_quant_config: Optional[Mapping[str, Any]] = None,
                      label: str = "model", layer_components=None) -> CheckpointFormat:
    """The format of a checkpoint whose model dtype is `dtype`, from its `quantization_config` and
    ModelOpt `hf_quant_config.json` (None when absent); unknown schemes are refused, not guessed.
    An ignore list (`modules_to_not_convert`, `ignore`, `exclude_modules`) keeps components in the
    model dtype: `layer_components` (per layer, its quantizable component names) resolves it."""
    base = FORMATS[DTYPE_FORMAT.get(dtype, "bf16")]

    def kept(entries) -> frozenset:
        if not entries:
            return frozenset()
        if not isinstance(entries, list):
            raise ArchitectureError(f"{label}: the quantization's ignore list must be a list; got {entries!r}")
        return ignored_components(entries, layer_components or [], label)

    if hf_quant_config:
        section = hf_quant_config.get("quantization") if isinstance(hf_quant_config, dict) else None
        section = section if isinstance(section, dict) else {}
        algo = str(section.get("quant_algo", "")).upper()
        formats = {"FP8": "fp8", "NVFP4": "nvfp4", "W4A16_AWQ": "int4-awq"}
        if algo not in formats:
            raise ArchitectureError(f"{label}: hf_quant_config quant_algo {algo!r} is not supported; known: "
                                    f"{', '.join(formats)} (or give --weight-format / --weights-gib)")
        return CheckpointFormat(base, FORMATS[formats[algo]], False, f"hf_quant_config.json quant_algo {algo}",
                                kept(section.get("exclude_modules")))
    quant = quantization
    if not quant:
        return CheckpointFormat(base, base, False, f"config.json dtype {dtype}")
    if not isinstance(quant, dict):
        raise ArchitectureError(f"{label}: quantization_config must be a JSON object; got {type(quant).__name__}")
    method = str(quant.get("quant_method", "")).lower()
    ignored = quant.get("modules_to_not_convert") or quant.get("ignore") or quant.get("exclude_modules")
    if method == "mxfp4":
        return CheckpointFormat(base, FORMATS["mxfp4"], True, "quantization_config mxfp4 (experts)")
    if method == "fp8":
        block = quant.get("weight_block_size")
        if block is not None and not (isinstance(block, list) and len(block) == 2
                                      and all(isinstance(b, int) and b > 0 for b in block)):
            raise ArchitectureError(f"{label}: quantization_config weight_block_size must be two positive "
                                    f"integers, e.g. [128, 128]; got {block!r}")
        name = "fp8-block" if block == [128, 128] else "fp8"
        if block and block != [128, 128]:
            b = block[0] * block[1]
            return CheckpointFormat(base, WeightFormat(f"fp8-block{block[0]}x{block[1]}", 8 + Fraction(32, b),
                                                       "fp8 with block scales"), False, "quantization_config fp8",
                                    kept(ignored))
        return CheckpointFormat(base, FORMATS[name], False, f"quantization_config fp8 {block or 'per-tensor'}",
                                kept(ignored))
    if method in ("awq", "gptq"):
        fmt = _group_int4(quant.get("bits", 4), quant.get("group_size"), method)
        if fmt is not None:
            return CheckpointFormat(base, fmt, False, f"quantization_config {method}", kept(ignored))
    if method == "modelopt":
        algo = str(quant.get("quant_algo", "")).upper()
        if algo in ("FP8", "NVFP4"):
            return CheckpointFormat(base, FORMATS[algo.lower()], False, f"quantization_config modelopt {algo}",
                                    kept(ignored))
    if method == "compressed-tensors":
        groups = quant.get("config_groups")
        if isinstance(groups, dict) and len(groups) > 1:
            raise ArchitectureError(f"{label}: quantization_config compressed-tensors with {len(groups)} config "
                                    f"groups (per-module formats) is not read; give --weight-format or --weights-gib")
        for group in (groups.values() if isinstance(groups, dict) else ()):
            weights = (group.get("weights") if isinstance(group, dict) else None) or {}
            if not isinstance(weights, dict):
                continue
            if group.get("targets") not in (["Linear"], None):
                raise ArchitectureError(f"{label}: quantization_config compressed-tensors targets "
                                        f"{group.get('targets')!r} are not read (only Linear); give --weight-format")
            bits, kind, size = weights.get("num_bits"), weights.get("type"), weights.get("group_size")
            fmt = None
            if bits == 8 and kind == "float":
                fmt, what = FORMATS["fp8"], "compressed-tensors fp8"
            elif bits == 8 and kind == "int":
                fmt, what = FORMATS["int8"], "compressed-tensors int8"
            elif bits == 4 and kind == "float" and size == 16:
                fmt, what = FORMATS["nvfp4"], "compressed-tensors nvfp4"
            elif bits == 4 and kind == "int":
                fmt, what = _group_int4(4, size, "ct"), f"compressed-tensors int4, group {size}"
            if fmt is not None:
                return CheckpointFormat(base, fmt, False, what, kept(ignored))
    raise ArchitectureError(f"{label}: quantization_config quant_method {method!r} is not supported; give "
                            f"--weight-format ({', '.join(FORMATS)}) or the checkpoint size (--weights-gib)")


@dataclass(frozen=True)
class ComponentBytes:
    component: object  # layers.Component
    format: WeightFormat
    bytes: Fraction


def weight_bytes(components, checkpoint: CheckpointFormat) -> tuple[ComponentBytes, ...]:
    out = []
    for component in components:
        fmt = checkpoint.format_of(component)
        out.append(ComponentBytes(component, fmt, component.params * fmt.bits_per_param / 8))
    return tuple(out)
