"""The docs cannot drift: the CLI reference is regenerated and compared, the README's example
report is the real output, the README's commands are what CI and the card run."""

import re
import subprocess

from conftest import QUICK_START, ROOT, run_entry
from llm_sizing.render.cli_reference import cli_reference

README = (ROOT / "README.md").read_text()


def fenced_after(marker: str) -> str:
    match = re.search(re.escape(marker) + r"\s*```bash\n(.*?)\n```", README, re.S)
    assert match, f"no bash block after {marker}"
    return match.group(1).strip()


def test_cli_reference_is_current():
    assert (ROOT / "docs" / "cli.md").read_text() == cli_reference(), \
        "docs/cli.md is stale: python3 -m llm_sizing.render.cli_reference > docs/cli.md"


def test_readme_quick_start_runs_the_cards_command():
    command = fenced_after("<!-- quick-start-command -->")
    assert "pip install ." in command
    assert command.endswith("python3 sizing.py " + " ".join(QUICK_START))


def test_ci_runs_the_readme_test_command():
    command = fenced_after("<!-- test-command -->")
    assert command.endswith("python3 test_sizing.py")
    extracted = subprocess.run(
        ["awk", "/<!-- test-command -->/{found=1; next} found && /^```bash/{inside=1; next} "
                "inside && /^```/{exit} inside{print}", "README.md"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert extracted == command
    assert "README.md" in (ROOT / ".ci" / "run").read_text()


def test_readme_example_report_is_the_real_output():
    report = run_entry(QUICK_START + ["--ha", "n+1"]).stdout.rstrip("\n")
    assert report in README
