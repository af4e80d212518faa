"""Warnings are data: a stable code, a severity, a message, a remedy, and the numbers behind them.

`KINDS` defines every code once (what fires it, its severity, its remedy, which card warning it
renders); docs/warnings.md is generated from it and a sizing lists its findings in its order.
The trigger functions below are called by the stage that owns each finding; the card's four
warnings follow SPEC (docs/seed/spec.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional

from .units import KV_PRECISION_BYTES

#: "Context > 128k" on the card: above 128,000 tokens (docs/seed/spec.md)
PREFILL_IO_CONTEXT_THRESHOLD_TOKENS = 128_000
FAST_STORAGE_TYPES = ("local_nvme",)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # "info" | "warning" | "error"
    message: str
    remedy: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FindingKind:
    code: str
    severity: str  # "info" | "warning" | "error", or two joined by " or " when the trigger decides
    stage: str  # the stage that raises it
    fires_when: str
    remedy: str
    card: Optional[str] = None  # the seed card's warning it renders


KINDS: tuple[FindingKind, ...] = (
    FindingKind("CONTEXT_CLAMPED", "warning", "resolve",
                "the requested `--effective-context` exceeds the model's `max_position_embeddings`; every figure "
                "then uses the clamped value and the JSON echoes both (`effective_context`, "
                "`effective_context_requested`)", "none needed: clamped automatically",
                card="context exceeds max_position_embeddings"),
    FindingKind("KV_PRECISION_WIDE", "warning", "kv",
                "`--kv-precision` is wider than fp8 (fp16, bf16: 2x the memory; fp32: 4x)", "consider fp8",
                card="fp16 doubles memory"),
    FindingKind("PREFILL_IO_PRESSURE", "info or warning", "storage",
                "the effective context (after clamping) is above 128,000 tokens (\"128k\": with 131,072 meaning "
                "128k the warning could never fire for the card's models); `info`, saying the pressure is "
                "covered, when the storage profile's `type` is `local_nvme`, `warning` otherwise",
                "use fast storage (local NVMe)", card="prefill pressures I/O"),
    FindingKind("HBM_BUDGET_INSUFFICIENT", "error", "memory (seed)",
                "the seed's node budget holds no session: budget <= 0, or smaller than one session's KV; node "
                "counts are null and the exit status is 1",
                "raise the budget ratio, lower the overhead, shorten the context, use fp8, or a bigger server",
                card="insufficient HBM budget"),
    FindingKind("CONFIG_DEFAULT_USED", "info", "kv",
                "a layer spec rests on a config class's documented default rather than a field of config.json "
                "(head_dim = hidden_size / heads, Llama 4's NoPE interval, Qwen3-Next's layer pattern, the "
                "model dtype of a recurrent state)",
                "none if the default is right for the checkpoint; otherwise add the field in a user catalog"),
    FindingKind("PHYSICAL_NO_KV_ROOM", "error", "memory (physical)",
                "per GPU, the weights and the engine's reserve leave less KV cache than one session needs; node "
                "counts are null and the exit status is 1",
                "more tensor or pipeline parallelism, a smaller weight format, a higher "
                "--gpu-memory-utilization, a shorter context, or a GPU with more memory"),
    FindingKind("MAX_NUM_SEQS_BINDS", "info", "memory (physical)",
                "the KV cache would hold more sessions per engine than `--max-num-seqs` lets it run",
                "raise --max-num-seqs if the latency target allows"),
    FindingKind("WEIGHTS_NOT_FULLY_COUNTED", "info", "memory (physical)",
                "the parameter count leaves part of the checkpoint out (a vision encoder, multi-token-prediction "
                "layers), or the parameters could not be split by component",
                "give the checkpoint's size with --weights-gib"),
    FindingKind("SLOW_DECODE_AT_MEMORY_PACKING", "warning", "latency",
                "with every session memory holds decoding at the context used, one session gets fewer than 10 "
                "tokens a second (slower than a person reads): the node count memory gives is not one to serve on",
                "set a latency target (--target-tpot-ms 100 and a workload), or plan the node count the message "
                "names"),
    FindingKind("SLO_UNREACHABLE", "error", "latency",
                "even one session per replica misses `--target-tpot-ms` / `--target-ttft-ms` on the layout; "
                "node counts are null and the exit status is 1",
                "relax the targets, use more tensor parallelism, a faster GPU, or a shorter prompt"),
    FindingKind("SEED_OVERHEAD_BELOW_WEIGHTS", "warning", "memory (seed)",
                "the model's weights alone are larger than `--runtime-overhead-gib`: the seed's rule counts "
                "their memory as KV cache", "raise --runtime-overhead-gib above the weights, or use "
                                            "--memory-model physical"),
    FindingKind("WEIGHTS_NOT_COUNTED", "info", "memory (seed)",
                "the model's weights cannot be counted from its config (a layout the count does not cover, a "
                "field missing or malformed, a checkpoint format it cannot read): the seed's sizing does not need "
                "them, but its check that `--runtime-overhead-gib` covers them is skipped",
                "make sure --runtime-overhead-gib covers the checkpoint; the physical model and perf need "
                "--weights-gib"),
)
ORDER = {kind.code: index for index, kind in enumerate(KINDS)}


def ordered(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """The findings of every stage in the order of `KINDS` (stable within one code)."""
    return tuple(sorted(findings, key=lambda finding: ORDER[finding.code]))


def context_clamped(requested_tokens: int, max_position_embeddings: int, model_name: str) -> list[Finding]:
    if requested_tokens <= max_position_embeddings:
        return []
    return [Finding(
        "CONTEXT_CLAMPED", "warning",
        f"effective context {requested_tokens:,} tokens exceeds max_position_embeddings {max_position_embeddings:,} "
        f"of {model_name}; sized at {max_position_embeddings:,} tokens",
        "none needed: the context was clamped automatically; ask for at most "
        f"{max_position_embeddings:,} tokens to silence this",
        {"requested_tokens": requested_tokens, "used_tokens": max_position_embeddings})]


def kv_precision_wide(kv_precision: str) -> list[Finding]:
    width = KV_PRECISION_BYTES[kv_precision]
    baseline = KV_PRECISION_BYTES["fp8"]
    if width <= baseline:
        return []
    factor = width // baseline
    return [Finding(
        "KV_PRECISION_WIDE", "warning",
        f"{kv_precision} KV cache uses {width} bytes per element: {factor}x the memory of fp8",
        "consider --kv-precision fp8",
        {"kv_precision": kv_precision, "bytes_per_element": width, "factor_vs_fp8": factor})]


def prefill_io_pressure(context_tokens: int, storage_type: str, storage_name: str) -> list[Finding]:
    if context_tokens <= PREFILL_IO_CONTEXT_THRESHOLD_TOKENS:
        return []
    data = {"context_tokens": context_tokens, "threshold_tokens": PREFILL_IO_CONTEXT_THRESHOLD_TOKENS,
            "storage": storage_name, "storage_type": storage_type}
    message = f"context {context_tokens:,} tokens > 128k: prefill and KV offload put pressure on storage I/O"
    if storage_type in FAST_STORAGE_TYPES:
        return [Finding("PREFILL_IO_PRESSURE", "info",
                        message + f"; '{storage_name}' is local NVMe, so the pressure is covered",
                        "none needed: fast local NVMe is already in use", data)]
    return [Finding("PREFILL_IO_PRESSURE", "warning", message + f"; '{storage_name}' is {storage_type}",
                    "use fast storage (local NVMe), e.g. --storage profile_default", data)]


def hbm_budget_insufficient(kv_budget_gib: float, kv_per_session_gib: float, sessions_per_node: int) -> list[Finding]:
    if sessions_per_node > 0:
        return []
    if kv_budget_gib <= 0:
        why = f"the KV budget is {kv_budget_gib:,.3f} GiB: the runtime overhead takes all of the HBM share"
    else:
        why = (f"the KV budget of {kv_budget_gib:,.3f} GiB per node is smaller than one session's "
               f"KV cache ({kv_per_session_gib:,.3f} GiB)")
    return [Finding(
        "HBM_BUDGET_INSUFFICIENT", "error", f"insufficient HBM budget: {why}; no node count exists",
        "raise --kv-budget-ratio, lower --runtime-overhead-gib, shorten --effective-context, "
        "use --kv-precision fp8, or choose a server with more HBM",
        {"kv_budget_gib": kv_budget_gib, "kv_per_session_gib": kv_per_session_gib})]


def config_assumptions(assumptions, model_name: str) -> list[Finding]:
    """Values taken from the config class's documented defaults, not from the file itself."""
    return [Finding("CONFIG_DEFAULT_USED", "info", f"{model_name}: {text}",
                    "none needed if the default is right for this checkpoint; otherwise add the field to the "
                    "model's config in a user catalog", {"assumption": text})
            for text in assumptions]


def physical_findings(plan) -> list[Finding]:
    """Findings of the physical memory model: no room for the KV cache, what bounds a replica, what the
    weight count leaves out."""
    found = []
    if plan.sessions_per_node == 0:
        gib = 2**30
        pool = float(plan.kv_pool_bytes_per_gpu) / gib
        weights = float(plan.weights_bytes_per_gpu) / gib
        if plan.budget_bytes is not None:
            budget = float(plan.budget_bytes) / gib
            reserve = float(plan.reserve.total_bytes) / gib
            why = (f"per GPU, weights {weights:,.2f} GiB + reserve {reserve:,.2f} GiB leave {pool:,.2f} GiB of the "
                   f"{budget:,.2f} GiB budget for the KV cache")
        else:
            why = f"the given KV cache of {pool:,.2f} GiB per GPU"
        found.append(Finding(
            "PHYSICAL_NO_KV_ROOM", "error", f"no session of this context fits: {why}, less than one session needs",
            "use more tensor or pipeline parallelism (--tensor-parallel auto), a smaller weight format "
            "(--weight-format), a higher --gpu-memory-utilization, a shorter context, or a GPU with more memory",
            {"kv_pool_gib_per_gpu": pool, "weights_gib_per_gpu": weights}))
    if plan.bound_by == "max_num_seqs":
        found.append(Finding(
            "MAX_NUM_SEQS_BINDS", "info",
            f"the KV cache would hold {plan.max_concurrency:,.2f} sessions per replica but the engine runs at most "
            f"--max-num-seqs {plan.sessions_per_replica // plan.layout.data_parallel} per rank",
            "raise --max-num-seqs if the latency target allows (it also raises the sampler's activation reserve)",
            {"max_concurrency": plan.max_concurrency}))
    for note in plan.notes:
        found.append(Finding("WEIGHTS_NOT_FULLY_COUNTED", "info", f"weights: {note}",
                             "give the checkpoint's size with --weights-gib for an exact figure", {"note": note}))
    return found


def slow_decode_at_memory_packing(tokens_per_s: float, tpot_ms: float, sessions_per_node: int, context_tokens: int,
                                  readable_nodes, reading_tokens_per_s: float) -> list[Finding]:
    if tokens_per_s >= reading_tokens_per_s:
        return []
    nodes = (f"about {readable_nodes} node(s) decode at {reading_tokens_per_s:g} tokens/s per session"
             if readable_nodes else "no batch reaches it on this layout")
    return [Finding(
        "SLOW_DECODE_AT_MEMORY_PACKING", "warning",
        f"at the memory packing ({sessions_per_node:,} sessions per node, {context_tokens:,} tokens each) a session "
        f"decodes at {tokens_per_s:,.1f} tokens/s (TPOT {tpot_ms:,.1f} ms), slower than a person reads "
        f"({reading_tokens_per_s:g} tokens/s)",
        f"set a latency target (--input-tokens, --output-tokens, --target-tpot-ms {1e3 / reading_tokens_per_s:g}); "
        f"{nodes}",
        {"tokens_per_s_per_session": tokens_per_s, "tpot_ms": tpot_ms, "sessions_per_node": sessions_per_node,
         "nodes_for_reading_speed": readable_nodes})]


def slo_unreachable(batch_per_replica: int, target_tpot_ms, target_ttft_ms) -> list[Finding]:
    if batch_per_replica:
        return []
    return [Finding("SLO_UNREACHABLE", "error",
                    "even one session per replica misses the latency targets on this layout",
                    "relax --target-tpot-ms / --target-ttft-ms, use more tensor parallelism, a faster GPU, "
                    "or a shorter prompt", {"target_tpot_ms": target_tpot_ms, "target_ttft_ms": target_ttft_ms})]


def seed_overhead_below_weights(weights_gib, runtime_overhead_gib: float, model_name: str) -> list[Finding]:
    """The seed's flat overhead is meant to cover one copy of the weights and the activations."""
    if weights_gib is None or weights_gib <= runtime_overhead_gib:
        return []
    return [Finding(
        "SEED_OVERHEAD_BELOW_WEIGHTS", "warning",
        f"{model_name}'s weights alone are {weights_gib:,.1f} GiB, more than --runtime-overhead-gib "
        f"{runtime_overhead_gib:g} GiB per node: the seed's rule counts their memory as KV cache",
        f"raise --runtime-overhead-gib above {weights_gib:,.0f}, or use --memory-model physical",
        {"weights_gib": weights_gib, "runtime_overhead_gib": runtime_overhead_gib})]


def weights_not_counted(problem: Optional[str], model_name: str) -> list[Finding]:
    if problem is None:
        return []
    return [Finding(
        "WEIGHTS_NOT_COUNTED", "info",
        f"{model_name}'s weights cannot be counted from its config ({problem}): the check that "
        f"--runtime-overhead-gib covers them is skipped",
        "make sure --runtime-overhead-gib covers the checkpoint; the physical model and perf need --weights-gib",
        {"problem": problem})]
