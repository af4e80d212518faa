"""Operator measurements on this machine's accelerator with PyTorch (`llm-sizing calibrate ops`).

The method is the H200 microbenchmark's (data/measurements/README.md), so the result has its format
and `calibrate.profiles.build_profile` turns either into a profile:

- every timing is the median of `repeats` replays after `warmup` calls; on a CUDA (or ROCm) device
  a replay is one CUDA graph holding the operation, timed with CUDA events, so launch gaps are those
  of a graph as in engines that capture decode steps; on the CPU (no graphs) a replay is timed with
  the wall clock;
- a replay runs the operation over enough copies of its weights (or KV caches) that it streams at
  least `rotate_bytes`, so the last-level cache does not serve them; the time per operation is the
  replay's divided by the copies;
- inputs are random normal values, never zeros; routing is uniform at random with a fixed seed.

Classes measured: the ceilings (a device-to-device copy, a square bf16 and fp8 matrix product),
the per-kernel launch cost (in a graph and eager), decode-shaped GEMMs `x[tokens, K] @ W[K, N]` in
bf16 and fp8, decode attention (scaled_dot_product_attention over a KV cache, the query heads of a
group folded into the query length) and the grouped expert GEMM of an MoE layer
(`torch._grouped_mm`, or one matmul per expert where the device lacks it).

PyTorch is the optional extra `llm-sizing[calibrate]`; it is imported only here. A point whose
tensors do not fit in the device's free memory is skipped and listed under `meta.skipped`.
"""

from __future__ import annotations

import datetime
import platform
import statistics
import time
from dataclasses import dataclass
from typing import Callable, Optional

from ..errors import InputError

MIB = 1 << 20


@dataclass(frozen=True)
class Plan:
    """What to measure: the shapes, sizes and repetitions of one run."""

    name: str
    gemm_shapes: tuple[tuple[str, int, int], ...]  # (label, K, N)
    gemm_tokens: tuple[int, ...]
    fp8_min_tokens: int
    attention: tuple[tuple[int, int], ...]  # (batch, context)
    attention_shape: tuple[tuple[str, int], ...]  # q_heads, kv_heads, head_dim, kv_bytes
    moe_tokens: tuple[int, ...]
    moe_shape: tuple[tuple[str, int], ...]  # experts, top_k, hidden, intermediate
    copy_bytes: int
    square: int  # the ceilings' matrix size
    launch_kernels: int
    rotate_bytes: int
    attention_rotate_bytes: int
    repeats: int
    warmup: int

    @property
    def points(self) -> int:
        return (3 + 1 + len(self.gemm_shapes) * len(self.gemm_tokens)
                + len(self.gemm_shapes) * sum(1 for t in self.gemm_tokens if t >= self.fp8_min_tokens)
                + len(self.attention) + len(self.moe_tokens))


#: the shapes of the shared H200 measurements (data/measurements/README.md): Llama-3.1-8B's
#: projections and Llama-70B's gate_up, Llama-3.1-8B's attention heads, gpt-oss-120b's expert layer
FULL = Plan(
    name="full",
    gemm_shapes=(("l8b.qkv", 4096, 6144), ("l8b.o", 4096, 4096), ("l8b.gate_up", 4096, 28672),
                 ("l8b.down", 14336, 4096), ("l8b.lm_head", 4096, 128256), ("l70b.gate_up", 8192, 57344)),
    gemm_tokens=(1, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192), fp8_min_tokens=16,
    attention=((1, 4096), (1, 32768), (1, 131072), (16, 8192), (64, 4096), (64, 16384), (256, 2048), (256, 8192)),
    attention_shape=(("q_heads", 32), ("kv_heads", 8), ("head_dim", 128), ("kv_bytes", 2)),
    moe_tokens=(1, 8, 32, 64, 128, 256, 512, 1024, 4096),
    moe_shape=(("experts", 128), ("top_k", 4), ("hidden", 2880), ("intermediate", 2880)),
    copy_bytes=4 << 30, square=8192, launch_kernels=2000, rotate_bytes=512 * MIB, attention_rotate_bytes=1024 * MIB,
    repeats=20, warmup=3)

#: small enough for a CPU in seconds (CI runs it): the same classes at toy sizes
TINY = Plan(
    name="tiny",
    gemm_shapes=(("t.a", 256, 384), ("t.b", 256, 1024), ("t.c", 512, 256)),
    gemm_tokens=(1, 16, 64, 256), fp8_min_tokens=16,
    attention=((1, 256), (1, 1024), (8, 512)),
    attention_shape=(("q_heads", 8), ("kv_heads", 2), ("head_dim", 64), ("kv_bytes", 2)),
    moe_tokens=(1, 8, 64),
    moe_shape=(("experts", 8), ("top_k", 2), ("hidden", 128), ("intermediate", 128)),
    copy_bytes=32 * MIB, square=256, launch_kernels=200, rotate_bytes=4 * MIB, attention_rotate_bytes=4 * MIB,
    repeats=3, warmup=1)

PLANS = {plan.name: plan for plan in (FULL, TINY)}


def _torch():
    import warnings

    try:
        with warnings.catch_warnings():  # a CPU build without NumPy warns at import; nothing here needs NumPy
            warnings.simplefilter("ignore")
            import torch
    except ImportError:
        raise InputError("calibrate ops needs PyTorch: pip install 'llm-sizing[calibrate]'") from None
    return torch


class _Device:
    """Timing on one device: CUDA graphs and events on a GPU, the wall clock on the CPU."""

    def __init__(self, torch, name: str, plan: Plan):
        self.torch, self.plan = torch, plan
        try:
            self.device = torch.device(name)
        except (RuntimeError, ValueError):
            raise InputError(f"--device {name!r}: not a PyTorch device; measured are cuda, cuda:N (ROCm GPUs "
                             f"too) and cpu") from None
        self.cuda = self.device.type == "cuda"
        if self.cuda and not torch.cuda.is_available():
            raise InputError(f"--device {name}: PyTorch sees no CUDA or ROCm device here; --device cpu measures "
                             f"the CPU")
        if self.device.type not in ("cuda", "cpu"):
            raise InputError(f"--device {name}: only cuda[:N] and cpu are measured")
        self.generator = torch.Generator(device="cpu").manual_seed(0)

    def free_bytes(self) -> int:
        if self.cuda:
            free, _ = self.torch.cuda.mem_get_info(self.device)
            return int(free)
        return 1 << 62  # the CPU: the plan's sizes are the limit

    def randn(self, *shape, dtype=None):
        torch = self.torch
        return torch.randn(*shape, generator=self.generator, dtype=torch.float32).to(
            device=self.device, dtype=dtype or torch.bfloat16)

    def sync(self):
        if self.cuda:
            self.torch.cuda.synchronize(self.device)

    def time_us(self, calls: list[Callable[[], object]], graph: bool = True) -> float:
        """Median microseconds of one call: each replay runs every call once (over rotated inputs)."""
        torch, plan = self.torch, self.plan

        def replay():
            for call in calls:
                call()

        if not self.cuda:
            for _ in range(plan.warmup):
                replay()
            times = []
            for _ in range(plan.repeats):
                start = time.perf_counter()
                replay()
                times.append((time.perf_counter() - start) * 1e6)
            return statistics.median(times) / len(calls)
        side = torch.cuda.Stream(self.device)
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            for _ in range(plan.warmup):
                replay()
        torch.cuda.current_stream(self.device).wait_stream(side)
        self.sync()
        run = replay
        if graph:
            captured = torch.cuda.CUDAGraph()
            with torch.cuda.graph(captured):
                replay()
            run = captured.replay
            run()
        times = []
        for _ in range(plan.repeats):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            run()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end) * 1e3)
        return statistics.median(times) / len(calls)


def _copies(one_copy_bytes: int, rotate_bytes: int) -> int:
    return max(1, -(-rotate_bytes // max(1, one_copy_bytes)))


def _fp8_matmul(torch, device: _Device, tokens: int, k: int, n: int, copies: int):
    """`copies` calls of x[tokens, K] @ W[K, N] in fp8 e4m3 with bf16 output (tensor-wise scales)."""
    fp8 = torch.float8_e4m3fn
    x = device.randn(tokens, k).to(fp8)
    weights = [device.randn(n, k).to(fp8).t() for _ in range(copies)]  # column-major, as _scaled_mm wants
    one = torch.tensor(1.0, device=device.device)
    return [lambda w=w: torch._scaled_mm(x, w, scale_a=one, scale_b=one, out_dtype=torch.bfloat16) for w in weights]


def _route(torch, device: _Device, tokens: int, experts: int, top_k: int):
    """Uniform random top-k routing: per expert the rows it receives (a fixed seed)."""
    scores = torch.rand(tokens, experts, generator=device.generator)
    chosen = scores.topk(top_k, dim=1).indices.flatten()
    return torch.bincount(chosen, minlength=experts).tolist()


def _grouped(torch, device: _Device, counts: list[int], hidden: int, intermediate: int, copies: int):
    """`copies` calls of one expert layer (gate_up then down) over rows sorted by expert."""
    experts = len(counts)
    rows = sum(counts)
    x = device.randn(rows, hidden)
    h = device.randn(rows, intermediate)
    offsets = torch.tensor(list(_cumsum(counts)), dtype=torch.int32, device=device.device)
    layers = [(device.randn(experts, hidden, 2 * intermediate), device.randn(experts, intermediate, hidden))
              for _ in range(copies)]
    if hasattr(torch, "_grouped_mm"):
        try:
            torch._grouped_mm(x, layers[0][0], offs=offsets)
            return [lambda g=g, d=d: (torch._grouped_mm(x, g, offs=offsets), torch._grouped_mm(h, d, offs=offsets))
                    for g, d in layers], "torch._grouped_mm"
        except (RuntimeError, NotImplementedError):
            pass
    spans = [(start, start + count) for start, count in zip([0, *_cumsum(counts)], counts) if count]

    def per_expert(g, d):
        for index, (start, stop) in enumerate(spans):
            x[start:stop] @ g[index]
            h[start:stop] @ d[index]

    return [lambda g=g, d=d: per_expert(g, d) for g, d in layers], "one matmul per expert"


def _cumsum(values):
    total = 0
    for value in values:
        total += value
        yield total


def open_device(name: str, plan: Plan) -> "_Device":
    """The device to measure, checked before anything runs (PyTorch there, the device present)."""
    return _Device(_torch(), name, plan)


def measure(device: "_Device", advance: Optional[Callable[[str], None]] = None) -> dict:
    """Measure every operator class of the device's plan; the microbenchmark's format."""
    torch, plan = device.torch, device.plan
    advance = advance or (lambda label: None)
    attention = dict(plan.attention_shape)
    moe = dict(plan.moe_shape)
    skipped: list[str] = []
    notes: list[str] = []
    budget = 0.5 * device.free_bytes()

    def fits(label: str, needed_bytes: float) -> bool:
        if needed_bytes > budget:
            skipped.append(f"{label}: needs {needed_bytes / 1e9:.1f} GB, half the free memory is {budget / 1e9:.1f} GB")
            return False
        return True

    # ceilings: a copy (bytes read + written), a square matrix product in bf16 and fp8
    ceilings: dict = {}
    size = plan.copy_bytes // 2  # bf16 elements
    if fits("copy", 2 * plan.copy_bytes):
        src, dst = device.randn(size), device.randn(size)
        ceilings["copy_read_plus_write_TBps"] = 2 * plan.copy_bytes / (device.time_us([lambda: dst.copy_(src)]) * 1e6)
    advance("ceiling: copy")
    n = plan.square
    a, b = device.randn(n, n), device.randn(n, n)
    ceilings["bf16_gemm_TFLOPS"] = 2 * n ** 3 / (device.time_us([lambda: torch.matmul(a, b)]) * 1e6)
    advance("ceiling: bf16 matmul")
    try:
        calls = _fp8_matmul(torch, device, n, n, n, 1)
        ceilings["fp8_gemm_TFLOPS"] = 2 * n ** 3 / (device.time_us(calls) * 1e6)
    except (RuntimeError, NotImplementedError, TypeError, AttributeError) as error:
        ceilings["fp8_gemm_TFLOPS"] = None
        notes.append(f"no fp8 matrix product on this device ({str(error).splitlines()[0][:120]}): fp8 GEMMs skipped")
    advance("ceiling: fp8 matmul")

    # launch: tiny in-place kernels, in a graph and eagerly
    tiny = device.randn(1024, dtype=torch.float32)
    kernels = [lambda: tiny.add_(1.0)] * plan.launch_kernels
    launch = {"graph_us_per_tiny_kernel": device.time_us(kernels, graph=True),
              "eager_us_per_tiny_kernel": device.time_us(kernels, graph=False)}
    if not device.cuda:
        notes.append("the CPU has no graphs: the graph launch cost is the eager one")
    advance("launch")

    gemm = []
    for label, k, n_out in plan.gemm_shapes:
        for dtype, width in (("bf16", 2), ("fp8", 1)):
            if dtype == "fp8" and ceilings["fp8_gemm_TFLOPS"] is None:
                continue
            for tokens in plan.gemm_tokens:
                if dtype == "fp8" and tokens < plan.fp8_min_tokens:
                    continue
                copies = _copies(k * n_out * width, plan.rotate_bytes)
                if fits(f"gemm {label} {dtype} {tokens}", copies * k * n_out * width + tokens * (k + n_out) * 2):
                    if dtype == "bf16":
                        x = device.randn(tokens, k)
                        weights = [device.randn(k, n_out) for _ in range(copies)]
                        calls = [lambda w=w: torch.matmul(x, w) for w in weights]
                    else:
                        calls = _fp8_matmul(torch, device, tokens, k, n_out, copies)
                    us = device.time_us(calls)
                    gemm.append({"shape": label, "K": k, "N": n_out, "tokens": tokens, "dtype": dtype, "us": us,
                                 "weight_TBps": k * n_out * width / (us * 1e6),
                                 "TFLOPS": 2 * tokens * k * n_out / (us * 1e6)})
                    del calls
                advance(f"gemm {label} {dtype} x{tokens}")

    decode_attention = []
    group = attention["q_heads"] // attention["kv_heads"]
    for batch, context in plan.attention:
        cache_bytes = 2 * batch * context * attention["kv_heads"] * attention["head_dim"] * attention["kv_bytes"]
        copies = _copies(cache_bytes, plan.attention_rotate_bytes)
        if fits(f"attention b{batch} c{context}", copies * cache_bytes):
            q = device.randn(batch, attention["kv_heads"], group, attention["head_dim"])
            caches = [(device.randn(batch, attention["kv_heads"], context, attention["head_dim"]),
                       device.randn(batch, attention["kv_heads"], context, attention["head_dim"]))
                      for _ in range(copies)]
            sdpa = torch.nn.functional.scaled_dot_product_attention
            calls = [lambda kk=kk, vv=vv: sdpa(q, kk, vv) for kk, vv in caches]
            us = _flash(torch, device, calls)
            decode_attention.append({"batch": batch, "context": context, "us_per_layer": us,
                                     "kv_TBps": cache_bytes / (us * 1e6)})
            del caches, calls
        advance(f"decode attention b{batch} c{context}")

    grouped = []
    impl = None
    expert_bytes = 3 * moe["hidden"] * moe["intermediate"] * 2
    for tokens in plan.moe_tokens:
        counts = _route(torch, device, tokens, moe["experts"], moe["top_k"])
        layer_bytes = moe["experts"] * expert_bytes
        copies = _copies(layer_bytes, plan.rotate_bytes)
        if fits(f"grouped gemm x{tokens}", copies * layer_bytes):
            calls, impl = _grouped(torch, device, counts, moe["hidden"], moe["intermediate"], copies)
            us = device.time_us(calls)
            touched = sum(1 for c in counts if c)
            grouped.append({"tokens": tokens, "experts_touched": touched, "us_per_layer": us,
                            "touched_expert_TBps": touched * expert_bytes / (us * 1e6)})
            del calls
        advance(f"grouped gemm x{tokens}")

    return {
        "what": f"Operator measurements by llm-sizing calibrate ops ({plan.name} plan) on {_device_label(torch, device)}, "
                f"{datetime.date.today().isoformat()}, PyTorch {torch.__version__}; method in "
                f"llm_sizing/calibrate/ops.py (that of data/measurements/README.md).",
        "meta": {"torch": torch.__version__, "device": _device_label(torch, device), "plan": plan.name,
                 "graphs": device.cuda, "grouped_gemm": impl, "python": platform.python_version(),
                 "notes": notes, "skipped": skipped},
        "ceilings": ceilings,
        "launch": launch,
        "gemm": gemm,
        "decode_attention": decode_attention,
        "moe_grouped_gemm": grouped,
        "attention_shape": attention,
        "moe_shape": moe,
    }


def _flash(torch, device: _Device, calls) -> float:
    """Decode attention with the flash backend where the device has it (as the H200 data), else the default."""
    if device.cuda:
        try:
            from torch.nn.attention import SDPBackend, sdpa_kernel

            with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                return device.time_us(calls)
        except (ImportError, RuntimeError):
            pass
    return device.time_us(calls)


def _device_label(torch, device: _Device) -> str:
    if device.cuda:
        return torch.cuda.get_device_name(device.device)
    return f"CPU ({platform.machine()}, {platform.processor() or 'unknown processor'})"
