"""What vLLM itself adds to a checkpoint's weights on a given GPU generation. Pure.

MXFP4 MoE experts (gpt-oss) are re-laid out at load time by vLLM's `mxfp4.py`, by backend:
  Hopper (Triton kernels, the H100/H200 default): the intermediate size per partition is rounded up
    to 64 (resident); the e8m0 scales are swizzled into copies whose rows are padded to 256 and the
    biases upcast to fp32, while the originals are still held: this shows in "Model loading took"
    but is freed before the memory profile (transient).
  Blackwell (FlashInfer, the B200/B300 default): intermediate and hidden sizes rounded up to 256 (resident).
  Older GPUs (Marlin): intermediate rounded up to 128, hidden to 256 (resident).
Sources and the observed figures it reproduces: docs/physical-memory.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ...units import ceil_div

MXFP4_BYTES_PER_PARAM = Fraction(17, 32)  # 16 bytes of e2m1 values + 1 byte e8m0 scale per 32
PAD = {"hopper": (64, 1), "blackwell": (256, 256), "ampere": (128, 256)}  # (intermediate, hidden) multiples
SWIZZLE_ROWS = 256  # triton_kernels Hopper scale layout: rows padded to 2 x num_warps(8) x 2 x 8


def round_up(value: int, multiple: int) -> int:
    return ceil_div(value, multiple) * multiple


@dataclass(frozen=True)
class EngineWeights:
    resident_extra_bytes: Fraction  # per GPU, kept for the engine's life
    loading_extra_bytes: Fraction  # per GPU, held only while loading (in "Model loading took")
    note: str


NONE = EngineWeights(Fraction(0), Fraction(0), "")


def mxfp4_adjustment(arch, checkpoint, gpu_architecture, layout, stage_layers: int) -> EngineWeights:
    """Extra weight bytes per GPU vLLM's MXFP4 MoE path adds (docs/physical-memory.md)."""
    if checkpoint.quantized.name != "mxfp4" or gpu_architecture not in PAD:
        return NONE
    experts, hidden, inner = arch.experts, arch.hidden_size, arch.expert_intermediate_size or 0
    if not (experts and hidden and inner):
        return NONE
    tp, dp = layout.tensor_parallel, layout.data_parallel
    if layout.expert_parallel:
        experts_per_gpu, inner_part = ceil_div(experts, tp * dp), inner
    else:
        experts_per_gpu, inner_part = experts, ceil_div(inner, tp * dp)
    inner_multiple, hidden_multiple = PAD[gpu_architecture]
    inner_pad, hidden_pad = round_up(inner_part, inner_multiple), round_up(hidden, hidden_multiple)
    per_expert = (2 * inner_part * hidden + hidden * inner_part)
    per_expert_padded = (2 * inner_pad * hidden_pad + hidden_pad * inner_pad)
    bias_padding = (2 * inner_pad + hidden_pad - 2 * inner_part - hidden) * 2
    count = experts_per_gpu * stage_layers
    resident = count * ((per_expert_padded - per_expert) * MXFP4_BYTES_PER_PARAM + bias_padding)
    loading = Fraction(0)
    if gpu_architecture == "hopper":
        scale_copies = round_up(2 * inner_pad, SWIZZLE_ROWS) * (hidden // 32) + round_up(hidden, SWIZZLE_ROWS) * (
            inner_pad // 32)
        fp32_biases = (2 * inner_pad + hidden) * 2  # bf16 -> fp32 adds 2 bytes per bias value
        loading = Fraction(count * (scale_copies + fp32_biases))
    note = (f"vLLM MXFP4 on {gpu_architecture}: intermediate {inner_part} -> {inner_pad}, hidden {hidden} -> "
            f"{hidden_pad} per expert slice")
    return EngineWeights(resident, loading, note)
