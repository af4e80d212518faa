"""Operator measurements -> an efficiency profile (a catalog entry of kind `profiles`). Pure.

The measurements are what `llm-sizing calibrate ops` writes, in the format of the H200
microbenchmark (data/measurements/README.md): ceilings, per-kernel launch costs, decode-shaped
GEMMs by tokens and precision, decode attention by batch and context, grouped expert GEMMs by
tokens. For every operator class the profile keeps

    time = fixed + max(bytes / (peak bandwidth x memory fraction), FLOPs / (peak FLOPS x compute fraction))

with `fixed` (the kernel's launch, ramp and tail) fitted by least squares on the class's
memory-bound points (time = fixed + bytes / bandwidth). At every measured point the side that binds
at the datasheet peaks (bytes / bandwidth against FLOPs / FLOPS) gets the fraction that makes the
formula give the measured time exactly (memory: bytes / ((time - fixed) x peak bandwidth); compute:
FLOPs / ((time - fixed) x peak FLOPS)); the other side gets the best fraction that side reached
anywhere in the class, so it never binds at the measured point but still limits a shape whose
bytes-to-FLOPs ratio differs (another precision, another width). Between points the fractions are
interpolated (stages/latency/profile.py); the peaks are the GPU's datasheet figures, so a profile
says what share of the datasheet each operator reaches.
Formulas and the H200 numbers: docs/performance.md.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Optional

from ..stages.latency.profile import decode_attention_bytes, gemm_bytes, grouped_gemm_bytes

#: gpt-oss-120b's expert layer, the shape of the shared H200 grouped-GEMM measurements
#: (data/measurements/README.md: 128 experts, top-4, hidden 2880, expert gate_up 2880x5760, down 2880x2880)
GPT_OSS_120B_MOE = {"experts": 128, "top_k": 4, "hidden": 2880, "intermediate": 2880}
#: Llama-3.1-8B's attention, the shape of the shared H200 decode-attention measurements
#: (32 query heads, 8 KV heads, head_dim 128, a bf16 KV cache)
LLAMA_8B_ATTENTION = {"q_heads": 32, "kv_heads": 8, "head_dim": 128, "kv_bytes": 2}
PRECISION_BYTES = {"bf16": 2, "fp8": 1}


def _fit_fixed(points: list[tuple[float, float]], floor: float) -> float:
    """Least-squares intercept `a` of time = a + bytes / bandwidth over (bytes, microseconds) points,
    kept between the launch cost and 90% of the fastest point's time."""
    if len(points) < 2:
        return floor
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx if sxx else 0.0
    intercept = mean_y - slope * mean_x
    return min(max(intercept, floor), 0.9 * min(y for _, y in points))


def _fractions(bytes_moved: float, flops: float, time_us: float, fixed_us: float, peak_bw_tb_s: float,
               peak_tflops: float) -> tuple[float, float]:
    effective = max(time_us - fixed_us, 0.05 * time_us) * 1e-6
    return (bytes_moved / (effective * peak_bw_tb_s * 1e12), flops / (effective * peak_tflops * 1e12))


def _binding(points: list[tuple[float, float, float, float]], peak_bw_tb_s: float, peak_tflops: float):
    """(memory fraction, compute fraction) per point: the measured one on the side that binds at the
    peaks, the class's best on the other. `points`: (bytes, FLOPs, memory fraction, compute fraction)."""
    memory_bound = [b / peak_bw_tb_s >= f / peak_tflops for b, f, _, _ in points]
    best_memory = max([m for (_, _, m, _), mb in zip(points, memory_bound) if mb] or [1.0])
    best_compute = max([c for (_, _, _, c), mb in zip(points, memory_bound) if not mb] or [1.0])
    return [(m, best_compute) if mb else (best_memory, c) for (_, _, m, c), mb in zip(points, memory_bound)]


def _gemm_table(rows: list[Mapping[str, Any]], precision: str, peaks: Mapping[str, float], launch_us: float) -> dict:
    width = PRECISION_BYTES[precision]
    rows = [r for r in rows if r["dtype"] == precision]
    shapes = sorted({(r["K"], r["N"]) for r in rows}, key=lambda s: s[0] * s[1])
    tokens = sorted({r["tokens"] for r in rows})
    smallest = tokens[0]
    fixed = _fit_fixed([(gemm_bytes(r["tokens"], r["K"], r["N"], width), r["us"]) for r in rows
                        if r["tokens"] == smallest], launch_us)
    peak_flops = peaks[f"{precision}_tflops"]
    by_point = {(r["K"], r["N"], r["tokens"]): r["us"] for r in rows}
    points = []
    for k, n in shapes:
        for t in tokens:
            measured = by_point.get((k, n, t))
            if measured is None:  # not measured at this size: the nearest measured token count of the shape
                nearest = min((tt for (kk, nn, tt) in by_point if (kk, nn) == (k, n)), key=lambda tt: abs(tt - t))
                measured = by_point[(k, n, nearest)] * (t / nearest if t > nearest else 1)
            moved, flops = gemm_bytes(t, k, n, width), 2.0 * t * k * n
            points.append((moved, flops, *_fractions(moved, flops, measured, fixed, peaks["hbm_tb_s"], peak_flops)))
    fractions = _binding(points, peaks["hbm_tb_s"], peak_flops)
    columns = len(tokens)
    memory = [[round(m, 6) for m, _ in fractions[i:i + columns]] for i in range(0, len(fractions), columns)]
    compute = [[round(c, 6) for _, c in fractions[i:i + columns]] for i in range(0, len(fractions), columns)]
    return {"fixed_us": round(fixed, 4), "weight_bytes": [k * n * width for k, n in shapes],
            "shapes": [f"{k}x{n}" for k, n in shapes], "tokens": tokens, "memory_fraction": memory,
            "compute_fraction": compute}


def _grouped_table(rows: list[Mapping[str, Any]], shape: Mapping[str, int], peaks: Mapping[str, float],
                   gemm_fixed_us: float) -> dict:
    expert_params = 3 * shape["hidden"] * shape["intermediate"]
    expert_bytes = expert_params * PRECISION_BYTES["bf16"]
    points = []
    for r in rows:
        touched, tokens = r["experts_touched"], r["tokens"]
        rows_per_expert = tokens * shape["top_k"] / touched
        moved = grouped_gemm_bytes(touched, expert_bytes, tokens * shape["top_k"], shape["hidden"],
                                   shape["intermediate"])
        points.append((rows_per_expert, moved, 2.0 * tokens * shape["top_k"] * expert_params, r["us_per_layer"]))
    # two grouped GEMMs a layer (gate_up, down), each with a dense GEMM's fixed cost; how far fewer
    # touched experts fall short of streaming at full bandwidth is the memory fraction's to say
    fixed = 2 * gemm_fixed_us
    measured = [(moved, flops, *_fractions(moved, flops, us, fixed, peaks["hbm_tb_s"], peaks["bf16_tflops"]))
                for _, moved, flops, us in points]
    fractions = _binding(measured, peaks["hbm_tb_s"], peaks["bf16_tflops"])
    table = sorted((rows_per_expert, m, c) for (rows_per_expert, _, _, _), (m, c) in zip(points, fractions))
    return {"fixed_us": round(fixed, 4), "kernels": 2, "measured_shape": dict(shape),
            "rows_per_expert": [round(x, 6) for x, _, _ in table],
            "memory_fraction": [round(m, 6) for _, m, _ in table], "compute_fraction": [round(c, 6) for _, _, c in table]}


def _attention_bytes(row: Mapping[str, Any], shape: Mapping[str, int]) -> int:
    return decode_attention_bytes(row["batch"], row["context"], shape["kv_heads"], shape["head_dim"],
                                  shape["kv_bytes"])


def _attention_table(rows: list[Mapping[str, Any]], shape: Mapping[str, int], peaks: Mapping[str, float],
                     launch_us: float) -> dict:
    singles = [(_attention_bytes(r, shape), r["us_per_layer"]) for r in rows
               if r["batch"] == min(x["batch"] for x in rows)]
    fixed = _fit_fixed(singles, launch_us)
    by_batch: dict[int, list[float]] = {}
    for r in rows:
        moved = _attention_bytes(r, shape)
        memory, _ = _fractions(moved, 0.0, r["us_per_layer"], fixed, peaks["hbm_tb_s"], 1.0)
        by_batch.setdefault(r["batch"], []).append(memory)
    batches = sorted(by_batch)
    # one fraction per batch: the geometric mean over the contexts measured at that batch
    fractions = [math.exp(sum(math.log(m) for m in by_batch[b]) / len(by_batch[b])) for b in batches]
    return {"fixed_us": round(fixed, 4), "measured_shape": dict(shape), "batch": batches,
            "memory_fraction": [round(m, 6) for m in fractions]}


#: what the measurements do not cover, with the public figure each estimate rests on
PREFILL_ATTENTION = {"compute_fraction": 0.6, "status": "estimate",
                     "source": "FlashAttention-3 (Shah et al., 2024): causal forward, head_dim 128, bf16, long "
                               "sequences reaches 60-75% of the H100's dense BF16 peak; the low end is used"}
COLLECTIVES = {"link_fraction": 0.8, "allreduce_latency_us": 10.0, "status": "estimate",
               "source": "NCCL / vLLM custom all-reduce inside one NVLink domain: about 80% of the per-direction "
                         "link bandwidth on large messages, about 10 us per small all-reduce"}


def build_profile(measurements: Mapping[str, Any], name: str, gpu_model: str, peaks: Mapping[str, Optional[float]],
                  source: str) -> dict:
    """A measured profile from one GPU's operator measurements (the microbenchmark format)."""
    launch = measurements["launch"]
    graph_us, eager_us = launch["graph_us_per_tiny_kernel"], launch["eager_us_per_tiny_kernel"]
    gemm_rows = measurements["gemm"]
    profile = {
        "name": name,
        "gpu_model": gpu_model,
        "status": "measured",
        "source": source,
        "measured": measurements.get("what", ""),
        "peaks": {key: value for key, value in peaks.items()},
        "launch_us": {"graph": round(graph_us, 4), "eager": round(eager_us, 4)},
        "elementwise": {"memory_fraction": round(measurements["ceilings"]["copy_read_plus_write_TBps"]
                                                 / peaks["hbm_tb_s"], 6)},
        "gemm": {precision: _gemm_table(gemm_rows, precision, peaks, graph_us) for precision in PRECISION_BYTES
                 if peaks.get(f"{precision}_tflops") and any(r["dtype"] == precision for r in gemm_rows)},
    }
    profile.update({
        "grouped_gemm": {"bf16": _grouped_table(measurements["moe_grouped_gemm"],
                                                measurements.get("moe_shape", GPT_OSS_120B_MOE), peaks,
                                                profile["gemm"]["bf16"]["fixed_us"])},
        "decode_attention": _attention_table(measurements["decode_attention"],
                                             measurements.get("attention_shape", LLAMA_8B_ATTENTION), peaks, graph_us),
        "prefill_attention": dict(PREFILL_ATTENTION),
        "collectives": dict(COLLECTIVES),
    })
    return profile


def derive_estimate(measured: Mapping[str, Any], name: str, gpu_model: str, peaks: Mapping[str, Optional[float]],
                    source: str) -> dict:
    """A profile for a GPU without measurements: the measured profile's fractions and fixed costs,
    applied to this GPU's datasheet peaks (labelled an estimate)."""
    estimate = {key: value for key, value in measured.items()}
    estimate.update(name=name, gpu_model=gpu_model, status="estimate", derived_from=measured["name"],
                    source=f"estimate: the fractions and fixed costs of {measured['name']} (measured) applied to "
                           f"this GPU's datasheet peaks ({source})",
                    peaks={key: value for key, value in peaks.items()}, measured="")
    return estimate


def peaks_from_ceilings(measurements: Mapping[str, Any]) -> dict:
    """A device without datasheet figures (the CPU, or no --server given): the best it was measured to
    do as the peaks (the ceilings, or any operator that beat them, e.g. from a cache), so each
    fraction is a share of what the device itself reached, at most 1."""
    ceilings = measurements["ceilings"]
    streamed = ([ceilings["copy_read_plus_write_TBps"]] + [r["weight_TBps"] for r in measurements["gemm"]]
                + [r["kv_TBps"] for r in measurements["decode_attention"]]
                + [r["touched_expert_TBps"] for r in measurements["moe_grouped_gemm"]])

    def best(precision):
        values = [r["TFLOPS"] for r in measurements["gemm"] if r["dtype"] == precision]
        ceiling = ceilings.get(f"{precision}_gemm_TFLOPS")
        values += [ceiling] if ceiling else []
        return round(max(values), 6) if values else None

    return {"hbm_tb_s": round(max(streamed), 6), "bf16_tflops": best("bf16"), "fp8_tflops": best("fp8"),
            "fp4_tflops": None}


def server_peaks(server) -> dict:
    """A catalog server's datasheet peaks per GPU, as a profile's `peaks`."""
    return {"hbm_tb_s": server.hbm_bandwidth_per_gpu_tb_s, "bf16_tflops": server.bf16_dense_tflops_per_gpu,
            "fp8_tflops": server.fp8_dense_tflops_per_gpu, "fp4_tflops": server.fp4_dense_tflops_per_gpu}
