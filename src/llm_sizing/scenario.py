"""The questions a user asks, validated: `Scenario` (size a fleet), `FitQuestion` (the largest
context or concurrency that fits on N nodes), `PerfQuestion` (one replica at a fixed batch).

Every input is a dataclass field whose metadata says its flag, unit, range, choices and help; the
defaults are the card's. The CLI derives its options from these fields (cli.py), and every rule
between inputs is checked here, so the Python API and the CLI refuse the same things with the
same one-line messages (InputError).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence, Union

from .errors import InputError
from .model.caches import Paging
from .units import KV_PRECISION_BYTES

MAX_GIB = 10**6  # a bound for GiB inputs: no GPU or checkpoint comes near a PiB
MAX_MS = 10**7  # a bound for time inputs
MAX_CONCURRENCY = 10**9  # sessions
MAX_CONTEXT_TOKENS = 2**31  # tokens per session (no model's position embeddings come near)
MAX_PARALLEL = 1024  # GPUs in one parallel dimension
MAX_NODES = 10**6


def _choices(registry: str) -> Callable[[], Sequence[str]]:
    """The names a registry holds, looked up when asked (the registries live with their kinds)."""
    def names() -> Sequence[str]:
        if registry == "kv_precision":
            return tuple(KV_PRECISION_BYTES)
        if registry == "ha":
            from .stages.capacity import HA_EXTRA_NODES

            return tuple(HA_EXTRA_NODES)
        if registry == "kv_accounting":
            from .stages.kv import ACCOUNTING

            return tuple(ACCOUNTING)
        if registry == "engine":
            from .stages.latency.engines import ENGINES

            return tuple(ENGINES)
        if registry == "memory_model":
            from .stages.memory import MEMORY_MODELS

            return tuple(MEMORY_MODELS)
        from .model.weights import FORMATS

        return tuple(FORMATS)
    return names


def option(default: Any = dataclasses.MISSING, *, flag: str, help: str, kind: str, unit: str = "",
           low: Any = None, high: Any = None, low_open: bool = False, high_open: bool = False,
           choices: Optional[Callable[[], Sequence[str]]] = None, metavar: Optional[str] = None,
           default_text: Optional[str] = None, commands: tuple[str, ...] = ("size", "perf"),
           help_for: Optional[dict] = None):
    """A question's input: its flag, what it means (`help_for`: in a command where it means less),
    its unit and range (`kind`: count, number, choice, name, flag, layout)."""
    meta = dict(flag=flag, help=help, kind=kind, unit=unit, low=low, high=high, low_open=low_open,
                high_open=high_open, choices=choices, metavar=metavar, default_text=default_text, commands=commands,
                help_for=help_for or {})
    return field(default=default, metadata=meta)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value  # NaN != NaN


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number_text(value) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _range_text(meta) -> str:
    low, high = meta["low"], meta["high"]
    if meta["kind"] == "count":
        return "a whole number > 0" + (f" and at most {high:,}" if high is not None else "")
    if meta["low_open"] or meta["high_open"]:
        return (f"a number in {'(' if meta['low_open'] else '['}{_number_text(low)}, {_number_text(high)}"
                f"{')' if meta['high_open'] else ']'}")
    return f"a number from {_number_text(low)} to {_number_text(high)}"


def check(flag: str, value: Any, meta: dict) -> None:
    """Refuse `value` for the input `flag` unless it is of its kind and in its range."""
    kind, unit = meta["kind"], f" ({meta['unit']})" if meta["unit"] else ""
    if kind in ("count", "number"):
        ok = _is_count(value) if kind == "count" else _is_number(value)
        low, high = meta["low"], meta["high"]
        if ok:
            ok = (value > low if meta["low_open"] else value >= low) if low is not None else True
        if ok and high is not None:
            ok = value < high if meta["high_open"] else value <= high
        if not ok:
            raise InputError(f"{flag} must be {_range_text(meta)}{unit}; got {value!r}")
    elif kind == "choice":
        names = meta["choices"]()
        if value not in names:
            raise InputError(f"{flag} must be one of {', '.join(names)}; got {value!r}")
    elif kind == "name":
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{flag} must be a catalog name; got {value!r}")
    elif kind == "flag":
        if not isinstance(value, bool):
            raise InputError(f"{flag} is a flag (true or false); got {value!r}")
    elif kind == "layout":
        if value != "auto" and not (_is_count(value) and 1 <= value <= MAX_PARALLEL):
            raise InputError(f"{flag} must be a whole number from 1 to {MAX_PARALLEL:,} or auto; got {value!r}")


def check_fields(instance, skip: tuple[str, ...] = ()) -> None:
    for item in dataclasses.fields(instance):
        if "flag" in item.metadata and item.name not in skip:
            value = getattr(instance, item.name)
            if value is None and item.default is None:
                continue  # an optional input not given
            check(item.metadata["flag"], value, item.metadata)


def non_default_flags(instance) -> list[str]:
    return [item.metadata["flag"] for item in dataclasses.fields(instance)
            if "flag" in item.metadata and getattr(instance, item.name) != item.default]


def _gib(flag: str, what: str) -> Any:
    return option(None, flag=flag, help=what, kind="number", unit="GiB", low=0, high=MAX_GIB, metavar="GIB")


@dataclass(frozen=True)
class PhysicalOptions:
    """The physical memory model's inputs (docs/physical-memory.md). None means "estimate it"."""

    tensor_parallel: Union[int, str] = option(
        1, flag="--tensor-parallel", kind="layout", metavar="N|auto",
        help="GPUs per tensor-parallel group (1, 2, 4, 8), or auto (try each, keep the one needing fewest nodes).",
        help_for={"perf": "GPUs per tensor-parallel group (one layout: auto is for sizing)."})
    pipeline_parallel: int = option(1, flag="--pipeline-parallel", kind="count", low=1, high=MAX_PARALLEL,
                                    metavar="N", help="Pipeline stages per replica.")
    data_parallel: int = option(1, flag="--data-parallel", kind="count", low=1, high=MAX_PARALLEL, metavar="N",
                                help="Data-parallel attention ranks per replica (MoE models; experts spread over "
                                     "TP x DP GPUs).")
    expert_parallel: bool = option(False, flag="--expert-parallel", kind="flag",
                                   help="Whole experts per GPU (EP = TP x DP) instead of slicing every expert.")
    gpu_memory_utilization: float = option(
        0.90, flag="--gpu-memory-utilization", kind="number", low=0, high=1, low_open=True, metavar="RATIO",
        default_text="0.90",
        unit="share of each GPU's memory for the engine",
        help="vLLM's share of each GPU's total memory for the engine, in (0, 1].")
    kv_cache_memory_gib: Optional[float] = _gib("--kv-cache-memory-gib", "KV cache per GPU given directly (vLLM "
                                                                          "--kv-cache-memory); skips the reserve.")
    weight_format: Optional[str] = option(None, flag="--weight-format", kind="choice", choices=_choices("weights"),
                                          help="Format of the quantized weights, instead of the checkpoint's "
                                               "quantization_config.")
    weights_gib: Optional[float] = _gib("--weights-gib", "The checkpoint's total size (e.g. the safetensors index "
                                                         "total_size / 2^30).")
    activation_peak_gib: Optional[float] = _gib("--activation-peak-gib", "Activation peak per GPU instead of the "
                                                                         "estimate.")
    cuda_graphs_gib: Optional[float] = option(None, flag="--cuda-graphs-gib", kind="number", unit="GiB", low=0,
                                              high=MAX_GIB, metavar="GIB", default_text="0",
                                              help="CUDA graph memory per GPU charged to the budget.")
    non_torch_gib: Optional[float] = _gib("--non-torch-gib", "Non-torch memory per GPU instead of the estimate.")
    max_num_seqs: int = option(1024, flag="--max-num-seqs", kind="count", low=1, high=10**6, metavar="N",
                               help="Most sessions one engine runs at once (vLLM --max-num-seqs).")

    def __post_init__(self):
        check_fields(self)

    @property
    def fixed_layout(self) -> bool:
        return self.tensor_parallel != "auto"


@dataclass(frozen=True)
class ServiceOptions:
    """Workload shape, service targets, the engine and the profile, and price (docs/performance.md)."""

    input_tokens: Optional[int] = option(None, flag="--input-tokens", kind="count", low=1, high=MAX_CONTEXT_TOKENS,
                                         unit="tokens", metavar="TOKENS",
                                         help="Prompt tokens per request (performance model).")
    output_tokens: Optional[int] = option(None, flag="--output-tokens", kind="count", low=1,
                                          high=MAX_CONTEXT_TOKENS, unit="tokens", metavar="TOKENS",
                                          help="Output tokens per request (performance model).")
    target_tpot_ms: Optional[float] = option(None, flag="--target-tpot-ms", kind="number", low=0, high=MAX_MS,
                                             low_open=True, unit="milliseconds", metavar="MS", commands=("size",),
                                             help="Service target: time per output token. Needs --input-tokens and "
                                                  "--output-tokens.")
    target_ttft_ms: Optional[float] = option(None, flag="--target-ttft-ms", kind="number", low=0, high=MAX_MS,
                                             low_open=True, unit="milliseconds", metavar="MS", commands=("size",),
                                             help="Service target: time to first token.")
    engine: str = option("vllm", flag="--engine", kind="choice", choices=_choices("engine"),
                         help="Serving engine whose per-step terms the latency model adds (fitted per engine and "
                              "GPU: llm-sizing calibrate runs).")
    profile: Optional[str] = option(None, flag="--profile", kind="name", metavar="NAME",
                                    help="Performance profile to price operators with, instead of the one for the "
                                         "server's GPU (llm-sizing catalog list --kind profiles).")
    price_per_gpu_hour_usd: Optional[float] = option(None, flag="--price-per-gpu-hour", kind="number", low=0,
                                                     high=10**6, unit="USD", metavar="USD", commands=("size",),
                                                     help="Price of one GPU-hour, for cost per hour and per million "
                                                          "output tokens.")

    def __post_init__(self):
        check_fields(self)
        if self.has_targets and not self.has_workload:
            raise InputError("--target-tpot-ms / --target-ttft-ms need the workload: give --input-tokens and "
                             "--output-tokens (tokens per request)")

    @property
    def has_targets(self) -> bool:
        return self.target_tpot_ms is not None or self.target_ttft_ms is not None

    @property
    def has_workload(self) -> bool:
        return self.input_tokens is not None and self.output_tokens is not None

    @property
    def workload_tokens(self) -> Optional[int]:
        return self.input_tokens + self.output_tokens if self.has_workload else None


SEED_ONLY = ("kv_budget_ratio", "runtime_overhead_gib")


@dataclass(frozen=True)
class Scenario:
    """model/server/storage are catalog names or aliases; concurrency in sessions; context in tokens.
    `physical` is None under the seed's rule (its options need the physical model)."""

    model: str = option(flag="--model", kind="name", metavar="NAME",
                        help="Model: catalog name or alias (e.g. opt-oss-120b, gpt-oss-20b), a config.json path, a "
                             "model directory, or hf:ORG/NAME.")
    server: str = option(flag="--server", kind="name", metavar="NAME",
                         help="Server (one node): catalog name, e.g. dgx300 (8 x 288 GB HBM).")
    storage: str = option(flag="--storage", kind="name", metavar="NAME",
                          help="Storage profile for the KV offload tier, e.g. profile_default.")
    concurrency: int = option(flag="--concurrency", kind="count", low=1, high=MAX_CONCURRENCY, unit="sessions",
                              metavar="SESSIONS", help="Concurrent sessions to serve (a whole number > 0).")
    effective_context: int = option(flag="--effective-context", kind="count", low=1, high=MAX_CONTEXT_TOKENS,
                                    unit="tokens", metavar="TOKENS",
                                    help="Context each session holds, in tokens (> 0); clamped to the model's "
                                         "max_position_embeddings.")
    kv_precision: str = option("fp8", flag="--kv-precision", kind="choice", choices=_choices("kv_precision"),
                               help="KV cache element type: fp8 = 1 byte per element (recommended), fp16/bf16 = 2 "
                                    "bytes (double the memory), fp32 = 4 bytes.")
    kv_budget_ratio: float = option(0.70, flag="--kv-budget-ratio", kind="number", low=0, high=1, low_open=True,
                                    unit="share of node HBM for the KV cache", metavar="RATIO", default_text="0.70",
                                    help="Seed rule: share of the node's HBM given to the KV cache, in (0, 1].")
    runtime_overhead_gib: float = option(120.0, flag="--runtime-overhead-gib", kind="number", low=0, high=MAX_GIB,
                                         unit="GiB per node", metavar="GIB", default_text="120",
                                         help="Seed rule: GiB (2^30 bytes) per node subtracted from that share for "
                                              "model weights and activations, >= 0.")
    peak_headroom_ratio: float = option(0.20, flag="--peak-headroom-ratio", kind="number", low=0, high=100,
                                        unit="0.20 = 20% above the concurrency", metavar="RATIO", default_text="0.20",
                                        help="Extra sessions to plan for peaks, as a share of the concurrency, >= 0 "
                                             "(0.20 = 20%).")
    ha: str = option("none", flag="--ha", kind="choice", choices=_choices("ha"),
                     help="High availability: n+1 adds one spare node; none adds nothing.")
    kv_accounting: str = option("ideal", flag="--kv-accounting", kind="choice", choices=_choices("kv_accounting"),
                                help="ideal: exact bytes per session; paged: as vLLM allocates them (blocks of "
                                     "--block-size tokens, sliding/chunked windows widened by the step's batched "
                                     "tokens, recurrent state as one page).")
    block_size: int = option(16, flag="--block-size", kind="count", low=1, high=2**20, unit="tokens per block",
                             metavar="TOKENS", help="Paged accounting: tokens per KV block (vLLM --block-size).")
    max_num_batched_tokens: int = option(8192, flag="--max-num-batched-tokens", kind="count", low=1,
                                         high=MAX_CONTEXT_TOKENS, unit="tokens per engine step", metavar="TOKENS",
                                         help="Tokens the engine schedules per step (vLLM --max-num-batched-tokens; "
                                              "8192 is vllm serve's default on >= 70 GiB GPUs).")
    memory_model: str = option("seed", flag="--memory-model", kind="choice", choices=_choices("memory_model"),
                               help="seed: the card's rule (HBM x ratio - overhead per node); physical: per GPU, "
                                    "weights from the checkpoint, the layout and the engine's reserve, as vLLM "
                                    "accounts them.")
    speculative: str = option("none", flag="--speculative", kind="name", metavar="SPEC", default_text="none",
                              help="Speculative decoding's memory: none; mtp[:N] (the model's multi-token-prediction "
                                   "layers, N speculative tokens, default 1); draft:MODEL[:N] (a draft model or EAGLE "
                                   "head: a catalog name or a config). Its layers' KV and weights are added.",
                              commands=("size",))
    physical: Optional[PhysicalOptions] = None
    service: ServiceOptions = ServiceOptions()

    def __post_init__(self):
        check_fields(self)
        self.speculation  # refuse a malformed --speculative now
        if self.memory_model == "physical":
            if self.physical is None:
                object.__setattr__(self, "physical", PhysicalOptions())
            seed_only = [self.__dataclass_fields__[name].metadata["flag"] for name in SEED_ONLY
                         if getattr(self, name) != self.__dataclass_fields__[name].default]
            if seed_only:
                raise InputError(f"{', '.join(seed_only)} belong to the seed's rule; the physical model budgets each "
                                 f"GPU with --gpu-memory-utilization and the estimated reserve")
        elif self.physical is not None:
            given = non_default_flags(self.physical) or ["the physical model's options"]
            raise InputError(f"{', '.join(given)} {'need' if len(given) > 1 else 'needs'} --memory-model physical")
        workload = self.service.workload_tokens
        if workload is not None and workload > self.effective_context:
            raise InputError(f"--input-tokens + --output-tokens ({workload:,}) exceed --effective-context "
                             f"({self.effective_context:,}): the memory plan holds {self.effective_context:,} tokens "
                             f"per session")

    @property
    def kv_bytes_per_element(self) -> int:
        return KV_PRECISION_BYTES[self.kv_precision]

    @property
    def speculation(self):
        from .model.speculative import Speculation

        return Speculation.parse(self.speculative)

    @property
    def paging(self) -> Paging:
        return Paging(block_tokens=self.block_size, max_num_batched_tokens=self.max_num_batched_tokens)


FIT_UNKNOWNS = {"context": "effective_context", "concurrency": "concurrency"}


@dataclass(frozen=True)
class FitQuestion:
    """The largest effective context (`unknown` "context") or concurrency ("concurrency") at which
    the scenario fits on `nodes` nodes: nodes_final <= nodes, headroom, HA, targets and the layout
    choice included. The scenario's field for the unknown is the upper bound of the search
    (MAX_CONTEXT_TOKENS / MAX_CONCURRENCY when the user gives none)."""

    scenario: Scenario
    unknown: str
    nodes: int = option(flag="--nodes", kind="count", low=1, high=MAX_NODES, unit="nodes", metavar="N",
                        help="Nodes available, for --fit-context / --fit-concurrency.")

    def __post_init__(self):
        check_fields(self)
        if self.unknown not in FIT_UNKNOWNS:
            raise InputError(f"a fit question asks for one of {', '.join(FIT_UNKNOWNS)}; got {self.unknown!r}")

    @property
    def bound(self) -> int:
        return getattr(self.scenario, FIT_UNKNOWNS[self.unknown])


@dataclass(frozen=True)
class PerfQuestion:
    """`llm-sizing perf`: one replica of a fixed layout decoding `batch` sessions of the workload."""

    model: str = option(flag="--model", kind="name", metavar="NAME",
                        help="Model: catalog name, config.json path, or hf:ORG/NAME.")
    server: str = option(flag="--server", kind="name", metavar="NAME", help="Server: catalog name.")
    batch: int = option(flag="--batch", kind="count", low=1, high=MAX_CONCURRENCY, unit="sessions",
                        metavar="SESSIONS", help="Requests one replica serves at once (see --mode).")
    kv_precision: str = option("fp8", flag="--kv-precision", kind="choice", choices=_choices("kv_precision"),
                               help="KV cache element type.")
    max_num_batched_tokens: int = option(8192, flag="--max-num-batched-tokens", kind="count", low=1,
                                         high=MAX_CONTEXT_TOKENS, unit="tokens per engine step", metavar="TOKENS",
                                         help="Tokens the engine schedules per step (prefill chunk + decode).")
    block_size: int = option(16, flag="--block-size", kind="count", low=1, high=2**20, unit="tokens per block",
                             metavar="TOKENS", help="Tokens per KV block (vLLM --block-size).")
    mode: str = option("closed-loop", flag="--mode", kind="choice", choices=lambda: ("closed-loop", "fixed-batch"),
                       help="closed-loop: --batch requests kept in flight, each replaced when it ends (as serving "
                            "benchmarks run); fixed-batch: one batch prefilled, then decoded together.")
    physical: PhysicalOptions = PhysicalOptions()
    service: ServiceOptions = ServiceOptions()

    def __post_init__(self):
        check_fields(self)
        if not self.physical.fixed_layout:
            raise InputError("perf evaluates one layout: give --tensor-parallel N (auto is for sizing)")
        if not self.service.has_workload:
            raise InputError("perf needs --input-tokens and --output-tokens (tokens per request)")

    @property
    def context_tokens(self) -> int:
        return self.service.workload_tokens

    @property
    def kv_bytes_per_element(self) -> int:
        return KV_PRECISION_BYTES[self.kv_precision]

    @property
    def paging(self) -> Paging:
        return Paging(block_tokens=self.block_size, max_num_batched_tokens=self.max_num_batched_tokens)
