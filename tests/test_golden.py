"""The golden matrix (tests/golden_matrix.py): every case x mode, as the JSON document and the text
report, must be what tests/golden/ holds. Regenerate on purpose with
`python3 test_sizing.py tests/test_golden.py --update-golden` and review the diff."""

import json

import pytest

import golden_matrix as gm

RUNS = gm.runs()


@pytest.mark.parametrize("run_id,argv", RUNS, ids=[run_id for run_id, _ in RUNS])
def test_golden(run_id, argv, request):
    recorded = gm.record(argv)
    if request.config.getoption("--update-golden"):
        gm.GOLDEN_DIR.mkdir(exist_ok=True)
        for suffix, text in recorded.items():
            gm.path_of(run_id, suffix).write_text(text, encoding="utf-8")
        return
    text_path, json_path = gm.path_of(run_id, "txt"), gm.path_of(run_id, "json")
    assert text_path.exists() and json_path.exists(), f"no golden file for {run_id}: run with --update-golden"
    assert recorded["txt"] == text_path.read_text(encoding="utf-8"), f"{run_id}: the text report changed"
    diff = gm.differences(json.loads(json_path.read_text(encoding="utf-8")), json.loads(recorded["json"]))
    assert not diff, f"{run_id}: the JSON document changed:\n" + "\n".join(diff[:40])


def test_no_stale_golden_files():
    expected = {gm.path_of(run_id, suffix).name for run_id, _ in RUNS for suffix in ("txt", "json")}
    present = {path.name for path in gm.GOLDEN_DIR.glob("*.*")}
    assert present == expected, f"stale: {sorted(present - expected)}; missing: {sorted(expected - present)}"


def test_the_matrix_covers_every_mode():
    ids = {run_id for run_id, _ in RUNS}
    for mode in gm.MODES:
        assert any(i.endswith(f"--{mode}") for i in ids) and any(i.endswith(f"--{mode}--targets") for i in ids)
