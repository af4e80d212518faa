"""The serving engines and the terms each adds (docs/performance.md, "Engines"):

    overhead per step = step_overhead_ms + per_sequence_us x sequences in the step
    TTFT             += request_overhead_ms   (served requests, not an offline batch)

the CPU's share of a step that the GPU waits for (scheduling, input preparation, sampling
bookkeeping), after what the engine overlaps with the GPU; and a request's own path outside the
GPU steps (HTTP, tokenization, handing the prompt to the scheduler, returning the first token). The terms
are fitted per engine (and per GPU, where a profile carries its own) by `llm-sizing calibrate runs`
from measured end-to-end runs; the built-in profiles carry the fit on the in-sample runs
(data/runs/fit/, docs/validation.md). Every engine schedules the same way here: decode steps in CUDA
graphs, prompts chunked to `max_num_batched_tokens` per step beside the decoding sequences (vLLM
`--max-num-batched-tokens`, SGLang `--chunked-prefill-size`, TensorRT-LLM `max_num_tokens`).
"""

from __future__ import annotations

from dataclasses import dataclass

ENGINES = {
    "vllm": "vLLM (V1 engine, chunked prefill, CUDA graphs)",
    "sglang": "SGLang (chunked prefill, CUDA graphs, overlap scheduler)",
    "trtllm": "TensorRT-LLM (PyTorch or TRT backend, in-flight batching)",
}


@dataclass(frozen=True)
class EngineTerms:
    name: str
    step_overhead_ms: float = 0.0
    per_sequence_us: float = 0.0
    request_overhead_ms: float = 0.0
    source: str = "none fitted: no CPU share counted"


def engine_terms(name: str, profile) -> EngineTerms:
    """The engine's terms on this profile's GPU: the profile's fit, else no CPU share (said so)."""
    terms = profile.engines.get(name)
    if not terms:
        return EngineTerms(name)
    return EngineTerms(name, float(terms["step_overhead_ms"]), float(terms["per_sequence_us"]),
                       float(terms.get("request_overhead_ms", 0.0)), terms.get("source", f"profile {profile.name}"))
