#!/usr/bin/env python3
"""Regenerate the built-in performance profiles (src/llm_sizing/catalog/builtin/profiles.json):

- one measured profile per measurement file in data/measurements/ (the H200 microbenchmark today),
  built by the same code as `llm-sizing calibrate ops` (calibrate/profiles.py);
- for every other GPU model of the built-in servers, an estimate: the nearest measured profile's
  fractions and fixed costs applied to that GPU's datasheet peaks, labelled as such;
- the engine terms fitted by `llm-sizing calibrate runs` on the in-sample runs (data/runs/fit/,
  less the rows marked not_fitted): per engine and GPU where that pair has enough runs, per engine
  over every GPU otherwise, written into every profile. The held-out runs (data/runs/heldout/)
  are never read here.

    python3 scripts/build_profiles.py          # writes the file; tests fail when it is stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from llm_sizing.calibrate.profiles import build_profile, derive_estimate, server_peaks  # noqa: E402
from llm_sizing.calibrate.runs import fit_engines, read_runs, terms_dict, terms_for  # noqa: E402
from llm_sizing.catalog import load_catalog  # noqa: E402
from llm_sizing.catalog.entries import PerformanceProfile  # noqa: E402

#: measurement file -> (profile name, gpu_model of the built-in servers it measured, source)
MEASURED = {
    "h200-sxm-2026-11-28.json": ("h200-sxm", "NVIDIA H200 SXM",
                                 "data/measurements/h200-sxm-2026-11-28.json: one H200 SXM (141 GB, 700 W), "
                                 "PyTorch 2.11, CUDA 13.0, 2026-11-28; method in data/measurements/README.md"),
}
PROFILE_NAMES = {"NVIDIA H100 SXM": "h100-sxm", "NVIDIA B200": "b200", "NVIDIA B300 SXM": "b300-sxm",
                 "NVIDIA GB200": "gb200", "NVIDIA GB300": "gb300", "AMD Instinct MI300X": "mi300x",
                 "AMD Instinct MI325X": "mi325x", "AMD Instinct MI355X": "mi355x"}
FIT_RUNS = ROOT / "data" / "runs" / "fit"


def operator_profiles(catalog) -> list[dict]:
    by_gpu = {}
    for server in catalog.servers:
        if server.gpu_model and server.hbm_bandwidth_per_gpu_tb_s:
            by_gpu.setdefault(server.gpu_model, server)
    out = []
    for filename, (name, gpu_model, source) in MEASURED.items():
        measurements = json.loads((ROOT / "data" / "measurements" / filename).read_text())
        out.append(build_profile(measurements, name, gpu_model, server_peaks(by_gpu[gpu_model]), source))
    measured = out[0]  # the nearest measured profile: the only one today
    for gpu_model, server in by_gpu.items():
        if any(p["gpu_model"] == gpu_model for p in out):
            continue
        out.append(derive_estimate(measured, PROFILE_NAMES[gpu_model], gpu_model, server_peaks(server),
                                   f"datasheet peaks of server entry '{server.name}'"))
    return out


def fit_runs() -> list:
    return [run for path in sorted(FIT_RUNS.glob("*.json")) for run in read_runs(path)]


def profiles() -> list[dict]:
    catalog = load_catalog()
    built = operator_profiles(catalog)
    with_ops = catalog.with_profiles(PerformanceProfile.from_dict(p, origin="build") for p in built)
    fit = fit_engines(fit_runs(), with_ops)
    for profile in built:
        engines = {}
        for engine in sorted({engine for engine, _ in fit.terms}):
            terms = terms_for(fit, engine, profile["gpu_model"])
            key = (engine, profile["gpu_model"]) if (engine, profile["gpu_model"]) in fit.terms else (engine, None)
            engines[engine] = terms_dict(terms, fit.counts[key])
        profile["engines"] = engines
    return built


def document() -> str:
    return json.dumps({"profiles": profiles()}, indent=1) + "\n"


if __name__ == "__main__":
    path = ROOT / "src" / "llm_sizing" / "catalog" / "builtin" / "profiles.json"
    path.write_text(document())
    print(f"wrote {path}")
