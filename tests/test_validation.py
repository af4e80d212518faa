"""Predictions against published measurements (scripts/validation.py, docs/validation.md): vLLM's
start-up figures for the physical memory model, decode TPOT for the performance model. The page
is generated; a test fails when it is stale."""

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


def test_published_decode_measurements_median_error_at_most_25_percent():
    errors = [abs(validation.error(validation.predict_tpot(row, CATALOG), row["tpot_ms"]))
              for row in validation.load_perf_rows()]
    assert len(errors) >= 8
    assert statistics.median(errors) <= 0.25


def test_validation_rows_cover_two_gpu_types_and_two_models():
    rows = validation.load_perf_rows()
    assert len({CATALOG.server(r["server"]).gpu_model for r in rows}) >= 2
    assert len({r["model"] for r in rows}) >= 2


def test_validation_doc_is_current():
    assert (ROOT / "docs" / "validation.md").read_text() == validation.page(CATALOG), \
        "docs/validation.md is stale: python3 scripts/regen_docs.py"
