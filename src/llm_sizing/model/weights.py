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

    def format_of(self, component) -> WeightFormat:
        if not component.quantizable:
            return self.base
        if self.experts_only and component.name != "experts":
            return self.base
        return self.quantized

    def with_quantized(self, name: str) -> "CheckpointFormat":
        """The same checkpoint with every quantizable component in format `name` (--weight-format)."""
        if name not in FORMATS:
            raise ArchitectureError(f"--weight-format must be one of {', '.join(FORMATS)}; got {name!r}")
        return dataclasses.replace(self, quantized=FORMATS[name], experts_only=False, source="--weight-format")


def _group_int4(bits: int, group: Optional[int], method: str) -> Optional[WeightFormat]:
    if bits != 4:
        return FORMATS["int8"] if bits == 8 else None
    group = group or 128
    return WeightFormat(f"int4-{method}-g{group}", 4 + Fraction(16 + 4, group),
                        f"int4, group {group}: fp16 scale + 4-bit zero point per group")


def checkpoint_format(dtype: str, quantization: Any = None, hf_quant_config: Optional[Mapping[str, Any]] = None,
                      label: str = "model") -> CheckpointFormat:
    """The format of a checkpoint whose model dtype is `dtype`, from its `quantization_config` and
    ModelOpt `hf_quant_config.json` (None when absent); unknown schemes are refused, not guessed."""
    base = FORMATS[DTYPE_FORMAT.get(dtype, "bf16")]
    if hf_quant_config:
        section = hf_quant_config.get("quantization") if isinstance(hf_quant_config, dict) else None
        algo = str((section if isinstance(section, dict) else {}).get("quant_algo", "")).upper()
        formats = {"FP8": "fp8", "NVFP4": "nvfp4", "W4A16_AWQ": "int4-awq"}
        if algo not in formats:
            raise ArchitectureError(f"{label}: hf_quant_config quant_algo {algo!r} is not supported; known: "
                                    f"{', '.join(formats)} (or give --weight-format / --weights-gib)")
        return CheckpointFormat(base, FORMATS[formats[algo]], False, f"hf_quant_config.json quant_algo {algo}")
    quant = quantization
    if not quant:
        return CheckpointFormat(base, base, False, f"config.json dtype {dtype}")
    if not isinstance(quant, dict):
        raise ArchitectureError(f"{label}: quantization_config must be a JSON object; got {type(quant).__name__}")
    method = str(quant.get("quant_method", "")).lower()
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
                                                       "fp8 with block scales"), False, "quantization_config fp8")
        return CheckpointFormat(base, FORMATS[name], False, f"quantization_config fp8 {block or 'per-tensor'}")
    if method in ("awq", "gptq"):
        fmt = _group_int4(quant.get("bits", 4), quant.get("group_size"), method)
        if fmt is not None:
            return CheckpointFormat(base, fmt, False, f"quantization_config {method}")
    if method == "modelopt":
        algo = str(quant.get("quant_algo", "")).upper()
        if algo in ("FP8", "NVFP4"):
            return CheckpointFormat(base, FORMATS[algo.lower()], False, f"quantization_config modelopt {algo}")
    if method == "compressed-tensors":
        groups = quant.get("config_groups")
        for group in (groups.values() if isinstance(groups, dict) else ()):
            weights = (group.get("weights") if isinstance(group, dict) else None) or {}
            if not isinstance(weights, dict):
                continue
            bits, kind, size = weights.get("num_bits"), weights.get("type"), weights.get("group_size")
            if bits == 8 and kind == "float":
                return CheckpointFormat(base, FORMATS["fp8"], False, "compressed-tensors fp8")
            if bits == 8 and kind == "int":
                return CheckpointFormat(base, FORMATS["int8"], False, "compressed-tensors int8")
            if bits == 4 and kind == "float" and size == 16:
                return CheckpointFormat(base, FORMATS["nvfp4"], False, "compressed-tensors nvfp4")
            if bits == 4 and kind == "int":
                return CheckpointFormat(base, _group_int4(4, size, "ct"), False, "compressed-tensors int4")
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
