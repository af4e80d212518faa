"""The docs cannot drift: every generated page is regenerated and compared (docs/cli.md from the
command tree, docs/warnings.md from the findings' definitions, the README's example report and
validation claims), every command and option is in docs/cli.md, every doc link resolves, and the
README's commands are what CI and the card run."""

import os
import re
import subprocess
import sys

import pytest

from conftest import QUICK_START, ROOT, run_entry
from llm_sizing.cli_reference import cli_reference, commands

sys.path.insert(0, str(ROOT / "scripts"))
import regen_docs  # noqa: E402

README = (ROOT / "README.md").read_text()
CLI_DOC = (ROOT / "docs" / "cli.md").read_text()


def fenced_after(marker: str) -> str:
    match = re.search(re.escape(marker) + r"\s*```bash\n(.*?)\n```", README, re.S)
    assert match, f"no bash block after {marker}"
    return match.group(1).strip()


def test_cli_reference_is_current():
    assert CLI_DOC == cli_reference(), "docs/cli.md is stale: python3 scripts/regen_docs.py"


@pytest.mark.parametrize("words,command", commands(), ids=lambda value: " ".join(value) if isinstance(value, tuple)
                         else None)
def test_every_command_and_option_is_in_the_cli_reference(words, command):
    title = "## `" + " ".join(("llm-sizing",) + words) + "`"
    assert title in CLI_DOC, title
    section = CLI_DOC.split(title, 1)[1].split("\n## `", 1)[0]
    for param in command.params:
        for flag in param.opts:
            if flag.startswith("-"):
                assert re.search(rf"(^|[\s,]){re.escape(flag)}([\s,=]|$)", section, re.M), f"{title} lacks {flag}"


def test_the_reference_covers_every_subcommand():
    assert {" ".join(words) for words, _ in commands()} >= {"", "perf", "catalog", "catalog list", "catalog show",
                                                             "catalog validate", "catalog import", "catalog schema"}


def test_warnings_page_is_current():
    assert (ROOT / "docs" / "warnings.md").read_text() == regen_docs.warnings_page(), \
        "docs/warnings.md is stale: python3 scripts/regen_docs.py"


def test_readme_validation_claims_are_what_the_tables_show():
    for marker, content in regen_docs.readme_claims().items():
        assert f"<!-- {marker} -->\n{content}\n<!-- /{marker} -->" in README, \
            f"the README's {marker} claim is stale: python3 scripts/regen_docs.py"


def test_architectures_page_is_current():
    assert (ROOT / "docs" / "architectures.md").read_text() == regen_docs.architectures_page(), \
        "docs/architectures.md is stale: python3 scripts/regen_docs.py"


def test_performance_profile_checks_are_current():
    import validation

    text = (ROOT / "docs" / "performance.md").read_text()
    assert f"<!-- profile-checks -->\n{validation.profile_checks()}\n<!-- /profile-checks -->" in text, \
        "docs/performance.md's profile checks are stale: python3 scripts/regen_docs.py"


def markdown_files():
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_no_doc_link_points_to_a_missing_file():
    missing = []
    for page in markdown_files():
        text = page.read_text()
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                missing.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not missing, missing


def test_docs_paths_cited_in_code_and_docs_exist():
    # "docs/x.md" cited in source comments, schemas, scripts and pages must exist in the repository
    cited = set()
    for path in [*ROOT.joinpath("src").rglob("*.py"), *ROOT.joinpath("src").rglob("*.json"),
                 *ROOT.joinpath("scripts").glob("*.py"), *markdown_files()]:
        cited |= set(re.findall(r"\bdocs/[A-Za-z0-9_./-]+\.md\b", path.read_text()))
    assert cited, "the pattern found nothing"
    assert not [c for c in sorted(cited) if not (ROOT / c).exists()]


def test_nothing_cites_the_steering_repository():
    for path in [*markdown_files(), *ROOT.joinpath("src").rglob("*.py"), *ROOT.joinpath("tests").glob("*.py")]:
        text = path.read_text()
        if path.name in ("quick-reference.pt.md", "spec.md", "design.md", "vllm-startup-logs.md", "test_docs.py"):
            continue  # the copies say where they were copied from
        assert "shared/" not in text and "SPEC.md" not in text and "DESIGN.md" not in text, path


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
    done = run_entry(QUICK_START + ["--ha", "n+1"])
    assert done.returncode == 0 and done.stderr == ""
    report = done.stdout.rstrip("\n")
    assert report.startswith("LLM inference sizing") and "nodes_final" in report
    assert report in README


def test_readme_catalog_example_runs_as_written(tmp_path):
    """The README's catalog example, every line, in an empty directory: each command exits 0 (the
    user's server gets the built-in H100 profile through its gpu_model, so perf runs too)."""
    block = fenced_after("<!-- catalog-example -->")
    script = (f'set -e\nllm-sizing() {{ "{sys.executable}" "{ROOT / "sizing.py"}" "$@"; }}\n' + block)
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "LLM_SIZING_CATALOG": ""})
    assert done.returncode == 0, done.stderr
    assert "valid:" in done.stdout and "nodes_final" in done.stdout and "TPOT" in done.stdout
