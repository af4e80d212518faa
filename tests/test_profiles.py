"""Efficiency profiles (calibrate/profiles.py builds them, stages/latency/profile.py prices operators
with them): built from the H200 microbenchmark (data/measurements/), the model reproduces every
measured operator within 10%; a profile that leaves a GEMM shape out predicts it; the built-in
profiles are what the build script makes of the data."""

import json
import sys

import pytest

from conftest import ROOT
from llm_sizing import load_catalog
from llm_sizing.calibrate.profiles import GPT_OSS_120B_MOE, LLAMA_8B_ATTENTION, build_profile
from llm_sizing.catalog.entries import PerformanceProfile
from llm_sizing.stages.latency.profile import decode_attention_bytes, grouped_gemm_bytes

sys.path.insert(0, str(ROOT / "scripts"))
import build_profiles  # noqa: E402

MEASUREMENTS = json.loads((ROOT / "data" / "measurements" / "h200-sxm-2026-11-28.json").read_text())
PEAKS = {"hbm_tb_s": 4.8, "bf16_tflops": 989, "fp8_tflops": 1979, "fp4_tflops": None}


def profile_from(measurements):
    entry = build_profile(measurements, "h200-test", "NVIDIA H200 SXM", PEAKS, "test")
    return PerformanceProfile.from_dict(entry, origin="test").typed


PROFILE = profile_from(MEASUREMENTS)
LAUNCH_US = MEASUREMENTS["launch"]["graph_us_per_tiny_kernel"]


def gemm_us(profile, row):
    width = {"bf16": 2, "fp8": 1}[row["dtype"]]
    ms, _, _, _ = profile.gemm(row["tokens"], row["K"], row["N"], width, row["dtype"])
    return ms * 1e3 + profile.launch_graph_us  # one kernel, launched inside a CUDA graph as measured


@pytest.mark.parametrize("row", MEASUREMENTS["gemm"], ids=lambda r: f"{r['shape']}-{r['dtype']}-{r['tokens']}")
def test_every_measured_gemm_within_10_percent(row):
    assert gemm_us(PROFILE, row) == pytest.approx(row["us"], rel=0.10)


@pytest.mark.parametrize("row", MEASUREMENTS["decode_attention"], ids=lambda r: f"b{r['batch']}-c{r['context']}")
def test_every_measured_decode_attention_within_10_percent(row):
    shape = LLAMA_8B_ATTENTION
    moved = decode_attention_bytes(row["batch"], row["context"], shape["kv_heads"], shape["head_dim"], shape["kv_bytes"])
    ms, _, _ = PROFILE.decode_attention(row["batch"], moved)
    assert ms * 1e3 + PROFILE.launch_graph_us == pytest.approx(row["us_per_layer"], rel=0.10)


@pytest.mark.parametrize("row", MEASUREMENTS["moe_grouped_gemm"], ids=lambda r: f"t{r['tokens']}")
def test_every_measured_grouped_gemm_within_10_percent(row):
    shape = GPT_OSS_120B_MOE
    expert_params = 3 * shape["hidden"] * shape["intermediate"]
    routed = row["tokens"] * shape["top_k"]
    moved = grouped_gemm_bytes(row["experts_touched"], 2 * expert_params, routed, shape["hidden"], shape["intermediate"])
    ms, _, _ = PROFILE.grouped_gemm(routed / row["experts_touched"], moved, 2.0 * routed * expert_params, "bf16")
    assert ms * 1e3 + 2 * PROFILE.launch_graph_us == pytest.approx(row["us_per_layer"], rel=0.10)


def test_elementwise_and_launch_are_the_measured_ceilings():
    # copy 4.22 TB/s of the 4.8 TB/s datasheet; a kernel in a graph 1.12 us, eager 9.41 us
    assert PROFILE.elementwise_memory_fraction == pytest.approx(4.2208 / 4.8, rel=1e-4)
    assert (round(PROFILE.launch_graph_us, 2), round(PROFILE.launch_eager_us, 2)) == (1.12, 9.41)


def leave_one_shape_out(shape):
    """Errors predicting every measured point of a GEMM shape from a profile built without it."""
    without = profile_from({**MEASUREMENTS, "gemm": [r for r in MEASUREMENTS["gemm"] if r["shape"] != shape]})
    return [gemm_us(without, r) / r["us"] - 1 for r in MEASUREMENTS["gemm"] if r["shape"] == shape]


@pytest.mark.parametrize("shape", sorted({r["shape"] for r in MEASUREMENTS["gemm"]}))
def test_a_left_out_gemm_shape_is_predicted_from_the_others(shape):
    # the other five shapes bracket (or, at the edges, extrapolate to) this one: the median absolute
    # error over its 21 points (bf16 and fp8, 1 to 8,192 tokens) stays within 10%
    # (docs/performance.md lists them; single points reach 40-75% where kernels change, e.g. 128 tokens)
    errors = sorted(abs(e) for e in leave_one_shape_out(shape))
    assert errors[len(errors) // 2] <= 0.10


def test_builtin_profiles_are_current():
    assert (ROOT / "src" / "llm_sizing" / "catalog" / "builtin" / "profiles.json").read_text() == \
        build_profiles.document(), "profiles.json is stale: python3 scripts/build_profiles.py"


def test_every_builtin_server_has_a_profile_with_its_datasheet_peaks():
    catalog = load_catalog()
    for server in catalog.servers:
        profile = catalog.profile_for(server)
        assert profile is not None, server.name
        peaks = profile.typed.peaks
        assert (peaks.hbm_tb_s, peaks.bf16_tflops) == (server.hbm_bandwidth_per_gpu_tb_s,
                                                       server.bf16_dense_tflops_per_gpu), server.name
        assert profile.status == ("measured" if server.gpu_model == "NVIDIA H200 SXM" else "estimate")
