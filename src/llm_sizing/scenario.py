"""The question a user asks, validated. Units are in the names; defaults are the card's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from .errors import InputError
from .units import KV_PRECISION_BYTES

HA_MODES = ("none", "n+1")
KV_ACCOUNTING_MODES = ("ideal", "paged")

DEFAULTS = {
    "kv_precision": "fp8",
    "kv_budget_ratio": 0.70,
    "runtime_overhead_gib": 120.0,
    "peak_headroom_ratio": 0.20,
    "ha": "none",
    "kv_accounting": "ideal",
    "block_size": 16,
    "max_num_batched_tokens": 8192,
}


def _flag(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value  # NaN != NaN


MEMORY_MODELS = ("seed", "physical")
MAX_GIB = 10**6  # a bound for GiB inputs: no GPU or checkpoint comes near a PiB
MAX_MS = 10**7  # a bound for time inputs


@dataclass(frozen=True)
class PhysicalOptions:
    """The physical memory model's inputs (docs/physical-memory.md). None means "estimate it"."""

    tensor_parallel: Union[int, str] = 1  # or "auto"
    pipeline_parallel: int = 1
    data_parallel: int = 1  # data-parallel attention ranks (MoE models)
    expert_parallel: bool = False
    gpu_memory_utilization: float = 0.90  # vLLM's meaning: share of each GPU's total memory for the engine
    kv_cache_memory_gib: Optional[float] = None  # per GPU, as vLLM --kv-cache-memory; skips the reserve
    weight_format: Optional[str] = None
    weights_gib: Optional[float] = None  # the checkpoint's total size, instead of counting parameters
    activation_peak_gib: Optional[float] = None
    cuda_graphs_gib: Optional[float] = None
    non_torch_gib: Optional[float] = None
    max_num_seqs: int = 1024  # vllm serve's default on GPUs with >= 70 GiB

    def __post_init__(self):
        tp = self.tensor_parallel
        if tp != "auto" and (not isinstance(tp, int) or isinstance(tp, bool) or tp < 1):
            raise InputError(f"--tensor-parallel must be a whole number >= 1 or auto; got {tp!r}")
        for name in ("pipeline_parallel", "data_parallel", "max_num_seqs"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(f"{_flag(name)} must be a whole number >= 1; got {value!r}")
        util = self.gpu_memory_utilization
        if not _is_number(util) or not 0 < util <= 1:
            raise InputError(f"--gpu-memory-utilization must be a number in (0, 1] (share of each GPU's memory "
                             f"for the engine); got {util!r}")
        for name in ("kv_cache_memory_gib", "weights_gib", "activation_peak_gib", "cuda_graphs_gib",
                     "non_torch_gib"):
            value = getattr(self, name)
            if value is not None and (not _is_number(value) or not 0 <= value <= MAX_GIB):
                raise InputError(f"{_flag(name)} must be a number from 0 to {MAX_GIB:,} (GiB); got {value!r}")


@dataclass(frozen=True)
class ServiceOptions:
    """Service targets, workload shape, efficiency factors and price (docs/performance.md)."""

    input_tokens: Optional[int] = None
    output_tokens: Optional[int] = None
    target_tpot_ms: Optional[float] = None
    target_ttft_ms: Optional[float] = None
    mfu: float = 0.60  # performance.DEFAULT_MFU
    mbu: float = 0.80  # performance.DEFAULT_MBU
    comm_latency_us: float = 10.0  # performance.DEFAULT_COMM_LATENCY_US
    layer_overhead_us: float = 40.0  # performance.DEFAULT_LAYER_OVERHEAD_US
    price_per_gpu_hour_usd: Optional[float] = None

    def __post_init__(self):
        for name in ("input_tokens", "output_tokens"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise InputError(f"{_flag(name)} must be a whole number > 0 (tokens); got {value!r}")
        for name in ("target_tpot_ms", "target_ttft_ms"):
            value = getattr(self, name)
            if value is not None and (not _is_number(value) or not 0 < value <= MAX_MS):
                raise InputError(f"{_flag(name)} must be a number in (0, {MAX_MS:,}] (milliseconds); got {value!r}")
        if self.has_targets and (self.input_tokens is None or self.output_tokens is None):
            raise InputError("--target-tpot-ms / --target-ttft-ms need the workload: give --input-tokens and "
                             "--output-tokens (tokens per request)")
        for name in ("mfu", "mbu"):
            value = getattr(self, name)
            if not _is_number(value) or not 0 < value <= 1:
                raise InputError(f"{_flag(name)} must be a number in (0, 1] (share of the datasheet peak); got {value!r}")
        for name in ("comm_latency_us", "layer_overhead_us"):
            value = getattr(self, name)
            if not _is_number(value) or not 0 <= value <= MAX_MS:
                raise InputError(f"{_flag(name)} must be a number from 0 to {MAX_MS:,} (microseconds); got {value!r}")
        price = self.price_per_gpu_hour_usd
        if price is not None and (not _is_number(price) or not 0 <= price <= 10**6):
            raise InputError(f"--price-per-gpu-hour must be a number from 0 to 1,000,000 (USD); got {price!r}")

    @property
    def has_targets(self) -> bool:
        return self.target_tpot_ms is not None or self.target_ttft_ms is not None

    @property
    def has_workload(self) -> bool:
        return self.input_tokens is not None and self.output_tokens is not None


@dataclass(frozen=True)
class Scenario:
    """model/server/storage are catalog names or aliases; concurrency in sessions; context in tokens."""

    model: str
    server: str
    storage: str
    concurrency: int
    effective_context: int
    kv_precision: str = DEFAULTS["kv_precision"]
    kv_budget_ratio: float = DEFAULTS["kv_budget_ratio"]
    runtime_overhead_gib: float = DEFAULTS["runtime_overhead_gib"]
    peak_headroom_ratio: float = DEFAULTS["peak_headroom_ratio"]
    ha: str = DEFAULTS["ha"]
    kv_accounting: str = DEFAULTS["kv_accounting"]
    block_size: int = DEFAULTS["block_size"]  # tokens per KV block (paged accounting)
    max_num_batched_tokens: int = DEFAULTS["max_num_batched_tokens"]  # tokens per engine step (paged)
    memory_model: str = "seed"  # "seed": the card's flat overhead; "physical": weights, layout, reserve
    physical: PhysicalOptions = PhysicalOptions()
    service: ServiceOptions = ServiceOptions()

    def __post_init__(self):
        units = {"concurrency": "sessions", "effective_context": "tokens", "block_size": "tokens per block",
                 "max_num_batched_tokens": "tokens per engine step"}
        for name, unit in units.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise InputError(f"{_flag(name)} must be a whole number > 0 ({unit}); got {value!r}")
        if self.memory_model not in MEMORY_MODELS:
            raise InputError(f"--memory-model must be one of {', '.join(MEMORY_MODELS)}; got {self.memory_model!r}")
        if self.kv_accounting not in KV_ACCOUNTING_MODES:
            raise InputError(f"--kv-accounting must be one of {', '.join(KV_ACCOUNTING_MODES)}; "
                             f"got {self.kv_accounting!r}")
        ratio = self.kv_budget_ratio
        if not _is_number(ratio) or not 0 < ratio <= 1:
            raise InputError(f"--kv-budget-ratio must be a number in (0, 1] (share of node HBM for the KV cache); "
                             f"got {ratio!r}")
        headroom = self.peak_headroom_ratio
        if not _is_number(headroom) or headroom < 0 or headroom == float("inf"):
            raise InputError(f"--peak-headroom-ratio must be a finite number >= 0 (0.20 = 20% above the "
                             f"concurrency); got {headroom!r}")
        overhead = self.runtime_overhead_gib
        if not _is_number(overhead) or overhead < 0 or overhead == float("inf"):
            raise InputError(f"--runtime-overhead-gib must be a finite number >= 0 (GiB per node); got {overhead!r}")
        if self.kv_precision not in KV_PRECISION_BYTES:
            raise InputError(f"--kv-precision must be one of {', '.join(KV_PRECISION_BYTES)}; got {self.kv_precision!r}")
        if self.ha not in HA_MODES:
            raise InputError(f"--ha must be one of {', '.join(HA_MODES)}; got {self.ha!r}")
        for name in ("model", "server", "storage"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InputError(f"{_flag(name)} must be a catalog name; got {value!r}")
        service = self.service
        if service.has_workload and service.input_tokens + service.output_tokens > self.effective_context:
            raise InputError(f"--input-tokens + --output-tokens ({service.input_tokens + service.output_tokens:,}) "
                             f"exceed --effective-context ({self.effective_context:,}): the memory plan holds "
                             f"{self.effective_context:,} tokens per session")

    @property
    def kv_bytes_per_element(self) -> int:
        return KV_PRECISION_BYTES[self.kv_precision]
