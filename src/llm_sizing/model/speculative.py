"""Speculative decoding's memory: the layers a draft adds (`--speculative none|mtp[:N]|draft:MODEL`).
Pure.

When the engine runs speculative decoding (vLLM `--speculative-config`), the draft's layers get KV
caches in the same pool as the target's, numbered after them (vLLM `llama_eagle.py`,
`llama_eagle3.py`, `deepseek_mtp.py`: `start_layer_id` / `mtp_start_layer_idx = num_hidden_layers`),
with the draft's own KV heads and head size and the target's KV precision, and the draft's weights
load beside the target's:

- `mtp[:N]`: the model's own multi-token-prediction layers (DeepSeek V3 / R1 / V3.2, GLM-4.5 / 4.7 /
  5, Kimi: `num_nextn_predict_layers`; Qwen3.5: `mtp_num_hidden_layers`; Nemotron 3:
  `mtp_layers_block_type` or `mtp_hybrid_override_pattern`), run N times a step (N speculative
  tokens, default 1). Their caches are exact; their weights are counted where the reader knows the
  module (DeepSeek MTP: the decoder layer, `eh_proj` 2H x H, `enorm`, `hnorm` and the shared
  head's norm; embeddings and lm_head shared with the target) and refused by name elsewhere.
- `draft:MODEL`: a draft model (a catalog name or a config): every layer's cache, and its weights;
  an EAGLE head (`architectures` naming Eagle) shares the target's embeddings and lm_head (vLLM
  shares them when the head's checkpoint lacks them) and adds its `fc` (2H x H, EAGLE-3: 3H x H,
  plus its own lm_head of `draft_vocab_size` rows).
- Recurrent layers (Mamba2, Gated DeltaNet, KDA) of the target keep 1 + N state copies per request,
  and their convolution state N more rows (vLLM `max_memory_usage_bytes`, `num_speculative_blocks`,
  `conv_kernel - 1 + num_spec`).

The latency model prices the draft's layers once a step; it does not model acceptance rates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ..errors import InputError

MAX_SPECULATIVE_TOKENS = 32


@dataclass(frozen=True)
class Speculation:
    method: str = "none"  # "none" | "mtp" | "draft"
    tokens: int = 0  # speculative tokens a step
    draft: Optional[str] = None  # the draft model's name or config path

    @classmethod
    def parse(cls, text: str) -> "Speculation":
        """`none`, `mtp`, `mtp:N`, `draft:MODEL` or `draft:MODEL:N` (N speculative tokens, default 1)."""
        value = str(text).strip()
        if value == "none":
            return cls()
        match = re.fullmatch(r"mtp(?::([0-9]{1,3}))?", value)
        if match:
            return cls("mtp", cls._tokens(match.group(1)))
        match = re.fullmatch(r"draft:(.+?)(?::([0-9]{1,3}))?", value)
        if match and match.group(1).strip():
            return cls("draft", cls._tokens(match.group(2)), match.group(1).strip())
        raise InputError(f"--speculative must be none, mtp, mtp:N, draft:MODEL or draft:MODEL:N (N speculative "
                         f"tokens, 1 to {MAX_SPECULATIVE_TOKENS}); got {value!r}")

    @staticmethod
    def _tokens(text: Optional[str]) -> int:
        tokens = 1 if text is None else int(text)
        if not 1 <= tokens <= MAX_SPECULATIVE_TOKENS:
            raise InputError(f"--speculative: the speculative tokens must be 1 to {MAX_SPECULATIVE_TOKENS}; "
                             f"got {tokens}")
        return tokens

    @property
    def active(self) -> bool:
        return self.method != "none"

    def describe(self) -> str:
        if self.method == "none":
            return "none"
        what = "the model's MTP layers" if self.method == "mtp" else f"draft model {self.draft}"
        return f"{what}, {self.tokens} speculative token(s) a step"
