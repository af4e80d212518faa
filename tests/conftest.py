import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
HF = FIXTURES / "hf-configs"

# the card's quick start, verbatim
QUICK_START = ["--model", "opt-oss-120b", "--server", "dgx300", "--storage", "profile_default",
               "--concurrency", "1000", "--effective-context", "131072"]


@pytest.fixture(autouse=True)
def _no_user_catalog(monkeypatch):
    """Tests see the built-in catalog only, unless they set a user catalog themselves."""
    monkeypatch.delenv("LLM_SIZING_CATALOG", raising=False)


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/ from the tool's current output (review the diff)")


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def cli(argv, prog="llm-sizing") -> Run:
    """The CLI in process (`cli.run`, as the entry points call it): exit status, stdout, stderr."""
    from llm_sizing.cli import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = run([str(a) for a in argv], prog_name=prog)
    return Run(status, out.getvalue(), err.getvalue())


def one_line_error(argv, needle, status=2):
    """The CLI refuses `argv` with one line on stderr holding `needle`, nothing on stdout."""
    done = cli(argv)
    assert done.returncode == status, (done.stdout[-300:], done.stderr)
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert needle in done.stderr, done.stderr
    return done.stderr


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
