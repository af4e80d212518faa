"""Ready-to-run engine command lines for a physical plan (vLLM and SGLang). Pure string building;
flags per the engines' documented CLIs (docs/physical-memory.md)."""

from __future__ import annotations

VLLM_KV_DTYPE = {"fp8": "fp8", "fp16": "auto", "bf16": "auto", "fp32": "auto"}
SGLANG_KV_DTYPE = {"fp8": "fp8_e4m3", "fp16": "auto", "bf16": "auto", "fp32": "auto"}


def _model_id(model) -> str:
    return model.hf_id or model.name


def vllm_command(sizing) -> str:
    plan, s = sizing.memory.plan, sizing.scenario
    layout = plan.layout
    parts = ["vllm serve", _model_id(sizing.model), f"--tensor-parallel-size {layout.tensor_parallel}"]
    if layout.pipeline_parallel > 1:
        parts.append(f"--pipeline-parallel-size {layout.pipeline_parallel}")
    if layout.data_parallel > 1:
        parts.append(f"--data-parallel-size {layout.data_parallel}")
    if layout.expert_parallel:
        parts.append("--enable-expert-parallel")
    # the plan's --max-num-seqs, so the engine profiles the sampler reserve the plan assumed
    parts += [f"--max-model-len {sizing.context_tokens_used}", f"--kv-cache-dtype {VLLM_KV_DTYPE[s.kv_precision]}",
              f"--block-size {s.block_size}", f"--max-num-batched-tokens {s.max_num_batched_tokens}",
              f"--max-num-seqs {s.physical.max_num_seqs}"]
    if s.physical.kv_cache_memory_gib is not None:
        parts.append(f"--kv-cache-memory {int(s.physical.kv_cache_memory_gib * 2**30)}")
    else:
        parts.append(f"--gpu-memory-utilization {s.physical.gpu_memory_utilization:g}")
    return " ".join(parts)


def sglang_command(sizing) -> str:
    plan, s = sizing.memory.plan, sizing.scenario
    layout = plan.layout
    parts = ["python3 -m sglang.launch_server", f"--model-path {_model_id(sizing.model)}",
             f"--tp-size {layout.tensor_parallel * layout.data_parallel}"]
    if layout.pipeline_parallel > 1:
        parts.append(f"--pp-size {layout.pipeline_parallel}")
    if layout.data_parallel > 1:
        parts += [f"--dp-size {layout.data_parallel}", "--enable-dp-attention"]
    if layout.expert_parallel:
        parts.append(f"--ep-size {layout.tensor_parallel * layout.data_parallel}")
    parts += [f"--context-length {sizing.context_tokens_used}", f"--kv-cache-dtype {SGLANG_KV_DTYPE[s.kv_precision]}",
              f"--mem-fraction-static {s.physical.gpu_memory_utilization:g}",
              f"--max-running-requests {max(1, plan.sessions_per_replica)}",
              f"--chunked-prefill-size {s.max_num_batched_tokens}"]
    return " ".join(parts)
