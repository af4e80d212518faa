"""Each warning: its trigger and its non-trigger (the card's four as docs/seed/spec.md fixes them),
the definitions every code comes from, and their order."""

import pytest

from llm_sizing import Scenario, size

BASE = dict(model="opt-oss-120b", server="dgx300", storage="profile_default", concurrency=100)


def codes(**overrides):
    sizing = size(Scenario(**{**BASE, "effective_context": 8192, **overrides}))
    return {f.code: f for f in sizing.findings}


def test_context_clamped_fires_above_max_position_embeddings():
    found = codes(effective_context=131073)  # max_position_embeddings is 131072
    assert found["CONTEXT_CLAMPED"].severity == "warning"
    assert found["CONTEXT_CLAMPED"].data == {"requested_tokens": 131073, "used_tokens": 131072}
    sizing = size(Scenario(**{**BASE, "effective_context": 200_000}))
    # every figure uses the clamped value: 18 x 131072 x 1024 + 18 x 128 x 1024
    assert sizing.context_tokens_used == 131072
    assert sizing.results.kv_per_session_bytes == 2_418_278_400


def test_context_clamped_silent_at_the_limit():
    assert "CONTEXT_CLAMPED" not in codes(effective_context=131072)


@pytest.mark.parametrize("precision,factor", [("fp16", 2), ("bf16", 2), ("fp32", 4)])
def test_wide_precision_fires_for_anything_wider_than_fp8(precision, factor):
    finding = codes(kv_precision=precision)["KV_PRECISION_WIDE"]
    assert finding.data["factor_vs_fp8"] == factor
    assert "fp8" in finding.remedy


def test_wide_precision_silent_for_fp8():
    assert "KV_PRECISION_WIDE" not in codes(kv_precision="fp8")


def test_prefill_io_fires_above_128000_tokens():
    # "Context > 128k" = above 128,000 tokens (docs/seed/spec.md)
    finding = codes(effective_context=128_001, storage="profile_network_ssd")["PREFILL_IO_PRESSURE"]
    assert finding.severity == "warning"
    assert "NVMe" in finding.remedy


def test_prefill_io_on_local_nvme_says_covered():
    finding = codes(effective_context=131072, storage="profile_default")["PREFILL_IO_PRESSURE"]
    assert finding.severity == "info"
    assert "covered" in finding.message


def test_prefill_io_silent_at_128000():
    assert "PREFILL_IO_PRESSURE" not in codes(effective_context=128_000, storage="profile_cloud_premium")


def test_budget_insufficient_when_overhead_eats_the_share():
    # dgx300 share at 0.7 is 1502.04 GiB; an overhead of 1503 GiB leaves a negative budget
    sizing = size(Scenario(**{**BASE, "effective_context": 8192, "runtime_overhead_gib": 1503}))
    finding = {f.code: f for f in sizing.findings}["HBM_BUDGET_INSUFFICIENT"]
    assert finding.severity == "error"
    assert not sizing.feasible
    assert sizing.results.sessions_per_node == 0
    assert sizing.results.nodes_final is None


def test_budget_insufficient_when_one_session_does_not_fit():
    # budget 1502.037 - 1502 = 0.037 GiB; one 131072-token session is 2.25 GiB
    sizing = size(Scenario(**{**BASE, "effective_context": 131072, "runtime_overhead_gib": 1502}))
    assert "HBM_BUDGET_INSUFFICIENT" in {f.code for f in sizing.findings}
    assert "smaller than one session" in sizing.findings[-1].message


def test_budget_sufficient_is_silent():
    # 1502.037 - 1499 = 3.037 GiB holds one 2.25 GiB session
    sizing = size(Scenario(**{**BASE, "effective_context": 131072, "runtime_overhead_gib": 1499}))
    assert "HBM_BUDGET_INSUFFICIENT" not in {f.code for f in sizing.findings}
    assert sizing.results.sessions_per_node == 1


def test_every_finding_code_is_defined_once_and_documented():
    from llm_sizing.findings import KINDS

    codes = [kind.code for kind in KINDS]
    assert len(codes) == len(set(codes))
    from conftest import ROOT

    page = (ROOT / "docs" / "warnings.md").read_text()
    for code in codes:
        assert f"`{code}`" in page, code


def test_findings_are_listed_in_the_order_of_their_definitions():
    # a seed sizing past 128k that also clamps and uses fp16: clamp, precision, prefill, in KINDS order
    # (then, if the sessions packed by memory decode slower than a person reads, that warning)
    from llm_sizing.findings import KINDS

    sizing = size(Scenario(**{**BASE, "effective_context": 200_000, "kv_precision": "fp16"}))
    codes = [f.code for f in sizing.findings]
    assert codes[:3] == ["CONTEXT_CLAMPED", "KV_PRECISION_WIDE", "PREFILL_IO_PRESSURE"]
    order = [kind.code for kind in KINDS]
    assert codes == sorted(codes, key=order.index)
