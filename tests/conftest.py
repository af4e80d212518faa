import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# the card's quick start, verbatim
QUICK_START = ["--model", "opt-oss-120b", "--server", "dgx300", "--storage", "profile_default",
               "--concurrency", "1000", "--effective-context", "131072"]


@pytest.fixture(autouse=True)
def _no_user_catalog(monkeypatch):
    """Tests see the built-in catalog only, unless they set a user catalog themselves."""
    monkeypatch.delenv("LLM_SIZING_CATALOG", raising=False)


def run_entry(argv, *, script="sizing.py", env=None, cwd=ROOT):
    """Run a real entry point in a subprocess; returns CompletedProcess (text)."""
    environment = {k: v for k, v in os.environ.items() if k != "LLM_SIZING_CATALOG"}
    environment.update(env or {})
    if script == "sizing.py":
        command = [sys.executable, str(ROOT / "sizing.py")]
    elif script == "module":
        command = [sys.executable, "-m", "llm_sizing"]
    else:
        command = [script]
    return subprocess.run(command + list(argv), capture_output=True, text=True, cwd=cwd, env=environment,
                          timeout=60)


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/ from the tool's current output (review the diff)")
