"""Scenario validation: each bad value gives an InputError naming the flag and what is allowed."""

import pytest

from llm_sizing import InputError, Scenario

OK = dict(model="m", server="s", storage="p", concurrency=1, effective_context=1)


@pytest.mark.parametrize("field,value,needle", [
    ("concurrency", 0, "--concurrency must be a whole number > 0"),
    ("concurrency", -3, "--concurrency"),
    ("concurrency", 1.5, "--concurrency"),
    ("concurrency", True, "--concurrency"),
    ("effective_context", 0, "--effective-context must be a whole number > 0"),
    ("kv_budget_ratio", 0, "(0, 1]"),
    ("kv_budget_ratio", 1.01, "(0, 1]"),
    ("kv_budget_ratio", float("nan"), "(0, 1]"),
    ("peak_headroom_ratio", -0.1, ">= 0"),
    ("peak_headroom_ratio", float("inf"), ">= 0"),
    ("runtime_overhead_gib", -1, ">= 0"),
    ("kv_precision", "fp4", "fp8, fp16, bf16, fp32"),
    ("ha", "n+2", "none, n+1"),
    ("model", "", "--model"),
])
def test_bad_values_are_refused(field, value, needle):
    with pytest.raises(InputError) as error:
        Scenario(**{**OK, field: value})
    assert needle in str(error.value)


@pytest.mark.parametrize("field,value", [("kv_budget_ratio", 1.0), ("peak_headroom_ratio", 0.0),
                                         ("runtime_overhead_gib", 0.0)])
def test_edge_values_are_allowed(field, value):
    assert getattr(Scenario(**{**OK, field: value}), field) == value


def test_defaults_are_the_cards():
    s = Scenario(**OK)
    assert (s.kv_precision, s.kv_budget_ratio, s.runtime_overhead_gib, s.peak_headroom_ratio, s.ha) == \
        ("fp8", 0.70, 120, 0.20, "none")
