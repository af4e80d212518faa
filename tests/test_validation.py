"""Predictions against published measurements (scripts/validation.py, docs/validation.md): vLLM's
start-up figures for the physical memory model; published end-to-end runs for the performance
model, the engine terms fitted on data/runs/fit/ only and the headline taken on data/runs/heldout/.
The page is generated; a test fails when it is stale."""

import json
import statistics
import sys

import pytest

from conftest import FIXTURES, ROOT
from llm_sizing import load_catalog

sys.path.insert(0, str(ROOT / "scripts"))
import validation  # noqa: E402

CATALOG = load_catalog()
ROWS = json.loads((FIXTURES / "vllm_startup_rows.json").read_text())


@pytest.mark.parametrize("row", ROWS["first_principles"], ids=lambda r: r["id"])
def test_first_principles_against_published_startup_figures(row):
    weights, kv = validation.predict_first_principles(row, CATALOG)
    reported = row["reported"]
    if "weights_gib" in reported:  # "Model loading took" within 3%
        assert abs(weights - reported["weights_gib"]) / reported["weights_gib"] < 0.03
    bound = row.get("kv_bound", {"relative": 0.10})
    if "relative" in bound:
        assert abs(kv - reported["available_kv_gib"]) / abs(reported["available_kv_gib"]) < bound["relative"]
    elif "absolute_gib" in bound:
        assert abs(kv - reported["available_kv_gib"]) < bound["absolute_gib"]
    else:
        assert bound["excluded"]  # shown in docs/validation.md with the reason


@pytest.mark.parametrize("row", ROWS["given_kv_memory"], ids=lambda r: r["id"])
def test_tokens_and_concurrency_from_the_reported_kv_memory(row):
    tokens, concurrency = validation.predict_given_kv(row, CATALOG)
    assert abs(tokens - row["reported"]["kv_cache_tokens"]) / row["reported"]["kv_cache_tokens"] < 0.01
    assert abs(concurrency - row["reported"]["max_concurrency"]) / row["reported"]["max_concurrency"] < 0.01


HELD_OUT = validation.predictions("heldout", CATALOG)


def gpu(p):
    return CATALOG.server(p.run.server).gpu_model


def is_moe(model):
    from llm_sizing.model.layers import MixtureOfExperts

    return any(isinstance(layer.ffn, MixtureOfExperts) for layer in CATALOG.model(model).architecture.layers)


def test_the_held_out_runs_are_broad_enough():
    # the bar: at least 30 rows, 4 GPU types, 2 engines, dense and MoE models
    assert len(HELD_OUT) >= 30
    assert len({gpu(p) for p in HELD_OUT}) >= 4
    assert len({p.run.engine for p in HELD_OUT}) >= 2
    assert {is_moe(p.run.model) for p in HELD_OUT} == {True, False}


def test_held_out_tpot_within_the_bounds():
    errors = [p.tpot_error for p in HELD_OUT]
    assert statistics.median(abs(e) for e in errors) <= 0.20
    assert abs(statistics.median(errors)) <= 0.10
    by_gpu = {}
    for p in HELD_OUT:
        by_gpu.setdefault(gpu(p), []).append(abs(p.tpot_error))
    assert max(statistics.median(v) for v in by_gpu.values()) <= 0.30, by_gpu


@pytest.mark.xfail(strict=True, reason="TTFT under load is not yet within 35% on the held-out runs "
                                       "(docs/validation.md: SGLang on B200/B300 and the MI300-series queue far "
                                       "more than the model); strict, so it says when it starts to pass")
def test_held_out_ttft_under_load_within_35_percent():
    errors = [abs(p.ttft_error) for p in HELD_OUT if p.ttft_error is not None]
    assert len(errors) >= 30
    assert statistics.median(errors) <= 0.35


def test_fit_and_held_out_runs_come_from_different_sources():
    fit = {run.source for run in validation.load_runs("fit")}
    held = {run.source for run in validation.load_runs("heldout")}
    assert fit and held and not fit & held
    import build_profiles

    assert build_profiles.FIT_RUNS == ROOT / "data" / "runs" / "fit"


def test_runs_marked_not_fitted_change_no_term():
    from llm_sizing.calibrate.runs import fit_engines

    runs = validation.load_runs("fit")
    assert any(run.not_fitted for run in runs)
    assert fit_engines(runs, CATALOG).terms == fit_engines([r for r in runs if not r.not_fitted], CATALOG).terms


def test_validation_doc_is_current():
    assert (ROOT / "docs" / "validation.md").read_text() == validation.page(CATALOG), \
        "docs/validation.md is stale: python3 scripts/regen_docs.py"
