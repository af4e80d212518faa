"""Measured end-to-end runs -> the engine terms of each engine (and GPU), and how well the latency
model predicts them (`llm-sizing calibrate runs`). Pure, but for reading the files.

A run is one published or measured benchmark point: the model, the server, the layout, the engine,
the workload (input and output tokens, requests in flight or batch) and what was measured (TPOT,
TTFT). Three file formats are read:
- the project's JSON (data/runs/*.json: {"source", "rows": [...]}, fields as `Run` below);
- a CSV with a header of the same field names (docs/performance.md, "Calibrating from runs");
- the JSON that vLLM's `benchmark_serving.py --save-result` writes, with the setup given on the
  command line (it records neither the GPU nor the layout).

The engine terms (stages/latency/engines.py) are fitted per engine, least squares on the relative
error, all three non-negative: `step_overhead_ms` a and `per_sequence_us` b on TPOT
(TPOT_model + a + b x sequences ~ TPOT_measured, TPOT_model predicted without engine terms), then
`request_overhead_ms` R on the TTFT of the served runs at light load (at most LIGHT_LOAD requests in
flight, where no queue blurs it: TTFT_model + R ~ TTFT_measured). With `per_gpu`, a pair of engine
and GPU with at least MIN_RUNS_PER_GPU runs gets terms of its own. The built-in profiles use
per-engine terms: the terms stand for the engine's CPU work, which does not depend on the GPU; a
GPU's own fit soaks up what its profile misses (an estimated profile's error) as if it were CPU time
per step, which does not carry over to other models (docs/validation.md shows both cross-validated).
Leave-one-source-out: each source's runs predicted with terms fitted on the others.
Runs marked `not_fitted` (the reason in the row) are predicted and reported, never fitted.
"""

from __future__ import annotations

import csv
import math
import re
import statistics
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Iterable, Optional

from ..errors import CatalogError, InputError, UnknownNameError

MIN_RUNS_PER_GPU = 3
LIGHT_LOAD = 8  # requests in flight up to which a TTFT fits the request overhead
MODES = ("closed_loop", "fixed_batch", "decode_step")


@dataclass(frozen=True)
class Run:
    id: str
    source: str
    model: str
    server: str
    engine: str
    input_tokens: int
    output_tokens: int
    concurrency: int  # requests in flight (closed loop) or batch
    tpot_ms: float
    mode: str = "closed_loop"
    tensor_parallel: int = 1
    data_parallel: int = 1
    expert_parallel: bool = False
    pipeline_parallel: int = 1
    weight_format: Optional[str] = None
    kv_precision: str = "bf16"
    num_prompts: Optional[int] = None
    ttft_ms: Optional[float] = None
    output_tokens_per_s: Optional[float] = None
    max_num_batched_tokens: int = 8192
    engine_version: Optional[str] = None
    date: Optional[str] = None
    not_fitted: Optional[str] = None  # why a fit must not use this run (it is still predicted and reported)
    reference: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        from ..model.weights import FORMATS
        from ..stages.latency.engines import ENGINES
        from ..units import KV_PRECISION_BYTES

        if self.mode not in MODES:
            raise InputError(f"run {self.id}: mode must be one of {', '.join(MODES)}; got {self.mode!r}")
        # names the prediction looks up: refused here by name (an unknown KV precision was a KeyError, an
        # unknown engine was fitted terms that no profile can hold)
        for kind, name, valid in (("engine", self.engine, ENGINES), ("KV precision", self.kv_precision,
                                                                      KV_PRECISION_BYTES)):
            if name not in valid:
                raise InputError(f"run {self.id}: {UnknownNameError(kind, name, valid)}")
        if self.weight_format is not None and self.weight_format not in FORMATS:
            raise InputError(f"run {self.id}: {UnknownNameError('weight format', self.weight_format, FORMATS)}")
        for name in ("input_tokens", "output_tokens", "concurrency"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(f"run {self.id}: {name} must be a whole number > 0; got {value!r}")
        if not (isinstance(self.tpot_ms, (int, float)) and math.isfinite(self.tpot_ms) and self.tpot_ms > 0):
            raise InputError(f"run {self.id}: tpot_ms must be a number > 0; got {self.tpot_ms!r}")


FIELDS = {f.name: f for f in fields(Run)}
INTEGERS = {"input_tokens", "output_tokens", "concurrency", "tensor_parallel", "data_parallel", "pipeline_parallel",
            "num_prompts", "max_num_batched_tokens"}
FLOATS = {"tpot_ms", "ttft_ms", "output_tokens_per_s"}


TEXTS = {"id", "source", "model", "server", "engine", "mode", "weight_format", "kv_precision", "engine_version",
         "date", "not_fitted"}
#: bounds of a run's numbers: counts up to 2^31 (tokens, requests, GPUs), times and rates up to 10^9
MAX_COUNT, MAX_MEASURE = 2**31, 1e9


def _count(value, key: str) -> int:
    """A whole number from JSON (an integer) or CSV (ASCII digits)."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}", value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
        raise ValueError(f"{key} must be a whole number from 0 to {MAX_COUNT:,}; got {str(value)[:40]!r}")
    return value


def _measure(value, key: str) -> float:
    """A finite number from JSON or CSV, 0 to 10^9."""
    if isinstance(value, str):
        text = value.strip()
        value = float(text) if re.fullmatch(r"[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]{1,3})?", text) else value
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= MAX_MEASURE:
        raise ValueError(f"{key} must be a number from 0 to 10^9; got {str(value)[:40]!r}")
    return float(value)


def _run(data, source, origin: str) -> Run:
    """One run from a row of a runs file (JSON object or CSV row), every field checked."""
    if not isinstance(data, dict):
        raise CatalogError(f"{origin}: a run must be an object of fields; got {str(data)[:40]!r}")
    label = data.get("id") if isinstance(data.get("id"), str) else "?"
    values = {key: value for key, value in data.items() if key in FIELDS and value not in (None, "")}
    values.setdefault("source", source)
    try:
        for key in TEXTS & values.keys():
            if not isinstance(values[key], str) or len(values[key]) > 500:
                raise ValueError(f"{key} must be text; got {str(values[key])[:40]!r}")
        for key in INTEGERS & values.keys():
            values[key] = _count(values[key], key)
        for key in FLOATS & values.keys():
            values[key] = _measure(values[key], key)
        if "expert_parallel" in values:
            flag = values["expert_parallel"]
            if isinstance(flag, str):
                flag = flag.strip().lower() in ("1", "true", "yes")
            if not isinstance(flag, bool):
                raise ValueError(f"expert_parallel must be true or false; got {str(flag)[:40]!r}")
            values["expert_parallel"] = flag
        if not isinstance(values.get("reference", {}), dict):
            raise ValueError("reference must be an object")
        missing = [f.name for f in fields(Run) if f.default is MISSING and f.default_factory is MISSING
                   and f.name not in values]
        if missing:
            raise ValueError(f"lacks {', '.join(missing)}")
        return Run(**values)
    except (TypeError, ValueError) as error:
        raise CatalogError(f"{origin}: run {label}: {error}") from None


def read_runs(path, **setup) -> list[Run]:
    """The runs in one file: the project's JSON, a CSV, or a vLLM benchmark_serving result (with `setup`:
    model, server, engine, tensor_parallel, ... from the command line)."""
    from ..files import expand, parse_json, read_text

    path = expand(path)
    text = read_text(path, "runs file")
    if path.suffix.lower() == ".csv":
        try:
            return [_run(row, path.stem, str(path)) for row in csv.DictReader(text.splitlines())]
        except csv.Error as error:
            raise CatalogError(f"{path}: not a CSV this tool reads: {error}") from None
    document = parse_json(text, str(path))
    if isinstance(document, dict) and isinstance(document.get("rows"), list):
        return [_run(row, document.get("source", path.stem), str(path)) for row in document["rows"]]
    if isinstance(document, dict) and ("median_tpot_ms" in document or "mean_tpot_ms" in document):
        return [_vllm_result(document, path, setup)]  # vLLM benchmark_serving.py --save-result
    raise CatalogError(f"{path}: neither a runs file ({{\"rows\": [...]}}), a CSV, nor a vLLM benchmark result")


def _vllm_result(document: dict, path: Path, setup: dict) -> Run:
    """One run from vLLM's serving benchmark result: concurrency, prompts, median (else mean) TPOT and
    TTFT, the mean lengths from the totals; the setup it does not record from the command line."""
    missing = [key for key in ("model", "server", "engine") if not setup.get(key)]
    if missing:
        raise InputError(f"{path}: a vLLM benchmark result does not say its {', '.join(missing)}: give "
                         f"--{' --'.join(m.replace('_', '-') for m in missing)}")

    def mean_length(total: str, given: str):
        if setup.get(given):
            return setup[given]
        completed = document.get("completed")
        if not isinstance(completed, (int, float)) or completed <= 0 or not isinstance(document.get(total),
                                                                                            (int, float)):
            raise InputError(f"{path}: the result has no '{total}' and 'completed' to take the mean length "
                             f"from: give --{given.replace('_', '-')}")
        return round(document[total] / completed)

    row = dict(setup, id=path.stem, mode="closed_loop",
               concurrency=document.get("max_concurrency") or setup.get("concurrency"),
               num_prompts=document.get("num_prompts") or document.get("completed"),
               tpot_ms=document.get("median_tpot_ms") or document.get("mean_tpot_ms"),
               ttft_ms=document.get("median_ttft_ms") or document.get("mean_ttft_ms"),
               output_tokens_per_s=document.get("output_throughput"),
               input_tokens=mean_length("total_input_tokens", "input_tokens"),
               output_tokens=mean_length("total_output_tokens", "output_tokens"))
    if row["concurrency"] is None:
        raise InputError(f"{path}: the result records no max_concurrency (a request-rate run?): only closed-loop "
                         f"runs (--max-concurrency C) are fitted")
    return _run(row, path.stem, str(path))


@dataclass(frozen=True)
class Prediction:
    run: Run
    tpot_ms: float
    ttft_ms: Optional[float]
    sequences: float  # sequences in a decode step (what the per-sequence term multiplies)

    @property
    def tpot_error(self) -> float:
        return self.tpot_ms / self.run.tpot_ms - 1

    @property
    def ttft_error(self) -> Optional[float]:
        if self.run.ttft_ms is None or self.ttft_ms is None or not math.isfinite(self.ttft_ms):
            return None
        return self.ttft_ms / self.run.ttft_ms - 1


def predict(run: Run, catalog, engine) -> Prediction:
    """The model's TPOT and TTFT for a run's setup, with the given engine terms."""
    from ..model.caches import Paging
    from ..scenario import PhysicalOptions
    from ..stages.latency.serving import closed_loop, fixed_batch
    from ..stages.latency.step import step_cost
    from ..model.operators import Step
    from ..stages.memory.layout import Layout
    from ..stages.memory.physical import plan_physical
    from ..units import KV_PRECISION_BYTES

    model, server = catalog.model(run.model), catalog.server(run.server)
    entry = catalog.profile_for(server)
    if entry is None:
        raise InputError(f"run {run.id}: server '{server.name}' has no performance profile")
    profile = entry.typed
    layout = Layout(run.tensor_parallel, run.pipeline_parallel, run.data_parallel, run.expert_parallel)
    kv_bytes = KV_PRECISION_BYTES[run.kv_precision]
    context = run.input_tokens + run.output_tokens
    options = PhysicalOptions(tensor_parallel=run.tensor_parallel, pipeline_parallel=run.pipeline_parallel,
                              data_parallel=run.data_parallel, expert_parallel=run.expert_parallel,
                              weight_format=run.weight_format)
    plan = plan_physical(model, server, options, layout, min(context, model.max_position_embeddings), kv_bytes,
                         Paging(16, run.max_num_batched_tokens))
    link = (server.scaleup_bandwidth_per_gpu_gb_s or 0) / 2
    arch = model.architecture
    per_rank = -(-run.concurrency // run.data_parallel)
    if run.mode == "decode_step":
        step = Step(per_rank, run.input_tokens + run.output_tokens // 2, routed=run.concurrency, kv_bytes=kv_bytes)
        cost = step_cost(arch, layout, plan.weight_components, profile, engine, step, link)
        return Prediction(run, cost.total_ms, None, per_rank)
    solve = closed_loop if run.mode == "closed_loop" else fixed_batch
    extra = {"num_prompts": run.num_prompts} if run.mode == "closed_loop" else {}
    result = solve(arch, layout, plan.weight_components, profile, engine, kv_bytes, run.concurrency, run.input_tokens,
                   run.output_tokens, run.max_num_batched_tokens, link, **extra)
    return Prediction(run, result.tpot_ms, result.ttft_ms, per_rank)


def _tpot_terms(predictions: list[Prediction]) -> tuple[float, float]:
    """(a ms, b us) >= 0 minimising sum ((TPOT_model + a + b x n) / TPOT_measured - 1)^2 over the
    predictions made without engine terms (TPOT_model), n the sequences per step: linear least
    squares in (a, b), the best of the unconstrained and the one-term solutions clipped at 0."""
    rows = [(p.tpot_ms, p.run.tpot_ms, p.sequences / 1e3) for p in predictions]  # n / 1e3: b in ms
    s_aa = sum(1 / m ** 2 for _, m, _ in rows)
    s_bb = sum((n / m) ** 2 for _, m, n in rows)
    s_ab = sum(n / m ** 2 for _, m, n in rows)
    s_ar = sum((m - t0) / m ** 2 for t0, m, _ in rows)
    s_br = sum(n * (m - t0) / m ** 2 for t0, m, n in rows)
    candidates = [(0.0, 0.0), (max(s_ar / s_aa, 0.0), 0.0)]
    if s_bb:
        candidates.append((0.0, max(s_br / s_bb, 0.0)))
    det = s_aa * s_bb - s_ab ** 2
    if det > 1e-12 * s_aa * s_bb:
        candidates.append((max((s_ar * s_bb - s_br * s_ab) / det, 0.0), max((s_aa * s_br - s_ab * s_ar) / det, 0.0)))

    def loss(terms):
        a, b = terms
        return sum(((t0 + a + b * n) / m - 1) ** 2 for t0, m, n in rows)

    a, b = min(candidates, key=loss)
    return a, b  # b multiplies n / 1e3 ms: microseconds per sequence


def _request_overhead(predictions: list[Prediction]) -> float:
    """R >= 0 minimising sum ((TTFT_model + R) / TTFT_measured - 1)^2 over the served runs with a TTFT."""
    rows = [(p.ttft_ms, p.run.ttft_ms) for p in predictions if p.ttft_error is not None
            and p.run.mode == "closed_loop"]
    if not rows:
        return 0.0
    return max(0.0, sum((m - t0) / m ** 2 for t0, m in rows) / sum(1 / m ** 2 for _, m in rows))


def fit_terms(runs: list[Run], catalog, engine: str, label: str):
    """An engine's terms fitted on its runs: the step terms on TPOT (predicted without engine terms),
    then the request overhead on TTFT (predicted with the fitted step terms)."""
    from ..stages.latency.engines import EngineTerms

    if not runs:
        return None
    bare = [predict(run, catalog, EngineTerms(engine)) for run in runs]
    a, b = _tpot_terms(bare)
    stepped = EngineTerms(engine, a, b)
    timed = [run for run in runs if run.ttft_ms is not None and run.mode == "closed_loop"
             and run.concurrency <= LIGHT_LOAD]
    r = _request_overhead([predict(run, catalog, stepped) for run in timed])
    ttft = f", {len(timed)} with a TTFT at light load" if timed else ", none with a TTFT at light load"
    return EngineTerms(engine, round(a, 4), round(b, 3), round(r, 3),
                       f"fitted on {len(runs)} run(s) of {label}{ttft}")


@dataclass(frozen=True)
class Fit:
    terms: dict  # (engine, gpu_model or None) -> EngineTerms
    counts: dict


def fitted(runs: Iterable[Run]) -> list[Run]:
    """The runs a fit may use: not those marked `not_fitted` (with the reason in the row)."""
    return [run for run in runs if not run.not_fitted]


def fit_engines(runs: Iterable[Run], catalog, per_gpu: bool = False) -> Fit:
    """Engine terms from runs: per engine over every GPU; with `per_gpu`, also per engine and GPU
    where that pair has at least MIN_RUNS_PER_GPU runs."""
    by_engine: dict = {}
    for run in fitted(runs):
        by_engine.setdefault(run.engine, []).append(run)
    terms, counts = {}, {}
    for engine, engine_runs in sorted(by_engine.items()):
        terms[(engine, None)] = fit_terms(engine_runs, catalog, engine, f"{engine} on every GPU")
        counts[(engine, None)] = len(engine_runs)
        if not per_gpu:
            continue
        by_gpu: dict = {}
        for run in engine_runs:
            by_gpu.setdefault(catalog.server(run.server).gpu_model, []).append(run)
        for gpu, gpu_runs in sorted(by_gpu.items()):
            if len(gpu_runs) >= MIN_RUNS_PER_GPU:
                terms[(engine, gpu)] = fit_terms(gpu_runs, catalog, engine, f"{engine} on {gpu}")
                counts[(engine, gpu)] = len(gpu_runs)
    return Fit(terms, counts)


def terms_for(fit: Fit, engine: str, gpu_model: str):
    from ..stages.latency.engines import EngineTerms

    return fit.terms.get((engine, gpu_model)) or fit.terms.get((engine, None)) or EngineTerms(engine)


def evaluate(runs: Iterable[Run], catalog, fit: Optional[Fit]) -> list[Prediction]:
    """Predictions with the fitted terms (with none: no engine terms)."""
    from ..stages.latency.engines import EngineTerms

    out = []
    for run in runs:
        gpu = catalog.server(run.server).gpu_model
        out.append(predict(run, catalog, terms_for(fit, run.engine, gpu) if fit else EngineTerms(run.engine)))
    return out


def leave_one_source_out(runs: list[Run], catalog, per_gpu: bool = False) -> list[Prediction]:
    """Each source's runs predicted with terms fitted on every other source's."""
    out = []
    for source in sorted({run.source for run in runs}):
        others = [run for run in runs if run.source != source]
        fit = fit_engines(others, catalog, per_gpu) if others else None
        out += evaluate([run for run in runs if run.source == source], catalog, fit)
    return out


def summary(predictions: list[Prediction]) -> dict:
    """Median absolute and signed TPOT error, its range, and the TTFT median absolute error."""
    tpot = [p.tpot_error for p in predictions]
    ttft = [p.ttft_error for p in predictions if p.ttft_error is not None]
    if not tpot:
        return {"runs": 0}
    return {"runs": len(tpot), "tpot_median_abs": statistics.median(abs(e) for e in tpot),
            "tpot_median_signed": statistics.median(tpot), "tpot_min": min(tpot), "tpot_max": max(tpot),
            "tpot_p90_abs": sorted(abs(e) for e in tpot)[int(0.9 * (len(tpot) - 1))],
            "ttft_runs": len(ttft), "ttft_median_abs": statistics.median(abs(e) for e in ttft) if ttft else None,
            "ttft_median_signed": statistics.median(ttft) if ttft else None}


@dataclass(frozen=True)
class Calibration:
    """`calibrate runs`: the terms fitted on every run, the in-sample predictions with them, and
    each source's runs predicted with terms fitted on the other sources (leave-one-source-out)."""

    runs: tuple[Run, ...]
    fit: Fit
    in_sample: tuple[Prediction, ...]
    held_out: tuple[Prediction, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(sorted({run.source for run in self.runs}))


def calibrate(runs: Iterable[Run], catalog, per_gpu: bool = False) -> Calibration:
    runs = tuple(runs)
    if not runs:
        raise InputError("no runs to fit: give at least one runs file")
    for run in runs:
        catalog.model(run.model), catalog.server(run.server)  # unknown names: one line, the closest named
    fit = fit_engines(runs, catalog, per_gpu)
    held_out = (tuple(leave_one_source_out(list(runs), catalog, per_gpu)) if len({run.source for run in runs}) > 1
                else ())
    return Calibration(runs, fit, tuple(evaluate(runs, catalog, fit)), held_out)


def terms_dict(terms, rows: int) -> dict:
    return {"step_overhead_ms": terms.step_overhead_ms, "per_sequence_us": terms.per_sequence_us,
            "request_overhead_ms": terms.request_overhead_ms, "source": terms.source, "fitted_rows": rows}


def profiles_with_terms(catalog, fit: Fit, gpu_models: Iterable[str]) -> list[dict]:
    """The catalog's profile of each GPU model, its engines replaced by the fitted terms (the GPU's
    own fit, else the engine's over every GPU): files for a user catalog that override the built-in."""
    from ..catalog.writer import profile_document

    out = []
    for gpu_model in sorted(set(gpu_models)):
        server = next(s for s in catalog.servers if s.gpu_model == gpu_model)
        entry = catalog.profile_for(server)
        if entry is None:
            continue
        document = profile_document(entry)
        engines = dict(document["profiles"][0].get("engines") or {})
        for engine in sorted({engine for engine, _ in fit.terms}):
            key = (engine, gpu_model) if (engine, gpu_model) in fit.terms else (engine, None)
            engines[engine] = terms_dict(fit.terms[key], fit.counts[key])
        document["profiles"][0]["engines"] = engines
        out.append(document)
    return out
