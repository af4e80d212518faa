"""The fuzz harness (scripts/fuzz.py) in the test suite, bounded: a few hundred generated
invocations of every command, with hostile arguments and corrupted catalog, config and runs files,
each judged (no traceback, no hang, one-line refusals with exit 2, JSON without NaN or Infinity).
Derandomized, so the suite runs the same invocations every time; `python3 scripts/fuzz.py
--examples 100000` runs fresh ones (docs/reliability.md). A failure prints the invocation,
shrunk by Hypothesis to the smallest that still fails."""

import json
import sys

import pytest
from hypothesis import HealthCheck, given, settings

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import fuzz  # noqa: E402

#: about 9 s on a 2-core machine (derandomized: the same 500 every run)
EXAMPLES = 500


@pytest.fixture(autouse=True)
def scratch_directory(tmp_path, monkeypatch):
    """Relative paths an invocation might write land here; the Hub stays offline."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("LLM_SIZING_CATALOG", raising=False)


@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(fuzz.invocations())
def test_no_invocation_gets_a_traceback_a_hang_or_a_wrong_exit(invocation):
    outcome = fuzz.execute(invocation)
    assert outcome.verdict in ("ok", "skipped"), (outcome.verdict, outcome.place or outcome.detail, outcome.argv)


def test_the_judge_finds_what_it_looks_for():
    # the verdicts themselves, on outputs made up for the purpose
    assert fuzz.judge(["x"], 2, "", "llm-sizing: error: one line\n") == ("ok", "")
    assert fuzz.judge(["x"], 2, "", "llm-sizing: error: a\nsecond line\n")[0] == "wrong_exit"
    assert fuzz.judge(["x"], 2, "report", "llm-sizing: error: a\n")[0] == "wrong_exit"
    assert fuzz.judge(["x"], 3, "", "")[0] == "wrong_exit"
    assert fuzz.judge(["x"], 0, "", "Traceback (most recent call last):")[0] == "traceback"
    assert fuzz.judge(["--json-only"], 0, '{"a": NaN}', "")[0] == "bad_json"
    assert fuzz.judge(["--json-only"], 1, '{"a": Infinity}', "")[0] == "bad_json"
    assert fuzz.judge(["--json-only"], 0, "not json", "")[0] == "bad_json"
    assert fuzz.judge(["--json-only"], 0, json.dumps({"a": None}), "") == ("ok", "")
    # '--json-only' as the value of an option asks for nothing
    assert fuzz.judge(["catalog", "import", "--name", "--json-only", "x"], 0, "wrote x", "") == ("ok", "")


def test_the_harness_catches_an_escaped_exception_and_a_hang(monkeypatch):
    import llm_sizing.cli

    def explode(argv, prog_name=None):
        raise KeyError("boom")

    monkeypatch.setattr(llm_sizing.cli, "run", explode)
    outcome = fuzz.execute(fuzz.Invocation("catalog list", ("catalog", "list")))
    assert outcome.verdict == "traceback" and outcome.place.startswith("KeyError")

    def forever(argv, prog_name=None):
        while True:
            pass

    monkeypatch.setattr(llm_sizing.cli, "run", forever)
    outcome = fuzz.execute(fuzz.Invocation("catalog list", ("catalog", "list")), limit_s=0.2)
    assert outcome.verdict == "hang"


def test_reliability_figures_are_rendered_from_the_record():
    recorded = json.loads(fuzz.RECORD.read_text())
    report = fuzz.REPORT.read_text()
    assert f"<!-- {fuzz.MARKER} -->\n{fuzz.render(recorded)}\n<!-- /{fuzz.MARKER} -->" in report, \
        "docs/reliability.md is stale: python3 scripts/fuzz.py --render"
