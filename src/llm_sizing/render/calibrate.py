"""`calibrate ops` and `calibrate runs` -> text (rich tables) and JSON; the progress bar of a
measurement (on stderr, so stdout stays the report). Printing only."""

from __future__ import annotations

import contextlib
import io
import statistics
from typing import Any, Optional

from .text import REPORT_WIDTH, _console, _finish


@contextlib.contextmanager
def progress(total: int, description: str):
    """A progress bar on stderr; yields advance(label) to call after each measured point."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[label]}"))
    # drawn on a terminal only: a pipe or a log gets no bar (and an error stays one line)
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(description, total=total, label="")

        def advance(label: str) -> None:
            bar.update(task, advance=1, label=label)

        yield advance


def render_ops(measurements: dict, profile: dict, path) -> str:
    from rich import box
    from rich.table import Table

    buffer = io.StringIO()
    console = _console(buffer)
    meta, ceilings, launch = measurements["meta"], measurements["ceilings"], measurements["launch"]
    console.print(f"calibrate ops: {meta['device']} (PyTorch {meta['torch']}, plan {meta['plan']}, "
                  f"{'CUDA graphs' if meta['graphs'] else 'no graphs'})", markup=False)
    table = Table(title="Measured", title_justify="left", padding=(0, 1), box=box.ASCII)
    for column in ("class", "points", "best", "as share of the peak"):
        table.add_column(column, justify="left" if column == "class" else "right")
    peaks = profile["peaks"]
    copy = ceilings.get("copy_read_plus_write_TBps")
    table.add_row("copy (read + write)", "1", f"{copy:.3f} TB/s", f"{copy / peaks['hbm_tb_s']:.0%}")
    for precision in ("bf16", "fp8"):
        value = ceilings.get(f"{precision}_gemm_TFLOPS")
        peak = peaks.get(f"{precision}_tflops")
        if value:
            table.add_row(f"{precision} matmul {meta['plan']} square", "1", f"{value:,.1f} TFLOP/s",
                          f"{value / peak:.0%}" if peak else "-")
    table.add_row("launch (graph / eager)", "2", f"{launch['graph_us_per_tiny_kernel']:.2f} / "
                  f"{launch['eager_us_per_tiny_kernel']:.2f} us", "-")
    for precision in ("bf16", "fp8"):
        rows = [r for r in measurements["gemm"] if r["dtype"] == precision]
        if rows:
            best = max(r["weight_TBps"] for r in rows)
            table.add_row(f"GEMM {precision} (weights streamed)", str(len(rows)), f"{best:.3f} TB/s",
                          f"{best / peaks['hbm_tb_s']:.0%}")
    rows = measurements["decode_attention"]
    if rows:
        best = max(r["kv_TBps"] for r in rows)
        table.add_row("decode attention (KV streamed)", str(len(rows)), f"{best:.3f} TB/s",
                      f"{best / peaks['hbm_tb_s']:.0%}")
    rows = measurements["moe_grouped_gemm"]
    if rows:
        best = max(r["touched_expert_TBps"] for r in rows)
        table.add_row(f"grouped expert GEMM ({meta.get('grouped_gemm')})", str(len(rows)), f"{best:.3f} TB/s",
                      f"{best / peaks['hbm_tb_s']:.0%}")
    console.print(table)
    for note in meta.get("notes", []) + [f"skipped {s}" for s in meta.get("skipped", [])]:
        console.print(f"note: {note}", markup=False)
    console.print(f"wrote {path}: profile '{profile['name']}' for {profile['gpu_model']} ({profile['source']})",
                  markup=False)
    console.print(f"use it: --catalog {path.parent.parent} (servers of GPU model '{profile['gpu_model']}' pick a "
                  f"measured profile), or --profile {profile['name']}", markup=False)
    return _finish(buffer)


def _errors(predictions) -> Optional[dict[str, Any]]:
    tpot = [p.tpot_error for p in predictions]
    if not tpot:
        return None
    ttft = [p.ttft_error for p in predictions if p.ttft_error is not None]
    return {"runs": len(tpot), "tpot_median_abs_error": statistics.median(abs(e) for e in tpot),
            "tpot_median_signed_error": statistics.median(tpot), "tpot_min_error": min(tpot),
            "tpot_max_error": max(tpot), "ttft_runs": len(ttft),
            "ttft_median_abs_error": statistics.median(abs(e) for e in ttft) if ttft else None,
            "ttft_median_signed_error": statistics.median(ttft) if ttft else None}


def calibration_dict(result, catalog, written) -> dict[str, Any]:
    from ..calibrate.runs import terms_dict

    return {
        "runs": len(result.runs), "sources": list(result.sources),
        "not_fitted": [{"id": r.id, "reason": r.not_fitted} for r in result.runs if r.not_fitted],
        "terms": [{"engine": engine, "gpu_model": gpu, **terms_dict(terms, result.fit.counts[(engine, gpu)])}
                  for (engine, gpu), terms in sorted(result.fit.terms.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))],
        "in_sample": _errors(result.in_sample),
        "leave_one_source_out": _errors(result.held_out),
        "predictions": [{"id": p.run.id, "source": p.run.source, "engine": p.run.engine,
                         "gpu_model": catalog.server(p.run.server).gpu_model, "tpot_ms_measured": p.run.tpot_ms,
                         "tpot_ms_in_sample": p.tpot_ms, "ttft_ms_measured": p.run.ttft_ms,
                         "ttft_ms_in_sample": p.ttft_ms} for p in result.in_sample],
        "written": list(written),
    }


def _percent(x: Optional[float]) -> str:
    return "-" if x is None else f"{x:+.1%}"


def render_calibration(result, catalog, written) -> str:
    from rich import box
    from rich.table import Table

    buffer = io.StringIO()
    console = _console(buffer)
    console.print(f"calibrate runs: {len(result.runs)} runs from {len(result.sources)} source(s): "
                  f"{', '.join(result.sources)}", markup=False)
    skipped = [r for r in result.runs if r.not_fitted]
    if skipped:
        console.print(f"not fitted (predicted and reported only): {len(skipped)} run(s), "
                      f"e.g. {skipped[0].id}: {skipped[0].not_fitted}", markup=False)
    terms = Table(title="Engine terms fitted (per engine and GPU with enough runs, else per engine)",
                  title_justify="left", padding=(0, 1), box=box.ASCII)
    for column in ("engine", "GPU", "runs", "step ms", "per seq us", "request ms"):
        terms.add_column(column, justify="left" if column in ("engine", "GPU") else "right")
    for (engine, gpu), t in sorted(result.fit.terms.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        terms.add_row(engine, gpu or "(every GPU)", str(result.fit.counts[(engine, gpu)]),
                      f"{t.step_overhead_ms:.3f}", f"{t.per_sequence_us:.1f}", f"{t.request_overhead_ms:.1f}")
    console.print(terms)
    errors = Table(title="TPOT and TTFT error (predicted / measured - 1)", title_justify="left", padding=(0, 1),
                   box=box.ASCII)
    for column in ("predictions", "runs", "TPOT median |err|", "signed", "range", "TTFT median |err|"):
        errors.add_column(column, justify="left" if column == "predictions" else "right")
    for label, predictions in (("in sample (terms fitted on these runs)", result.in_sample),
                               ("leave-one-source-out", result.held_out)):
        e = _errors(predictions)
        if e is None:
            errors.add_row(label, "0", "-", "-", "-", "-")
            continue
        errors.add_row(label, str(e["runs"]), f"{e['tpot_median_abs_error']:.1%}",
                       _percent(e["tpot_median_signed_error"]),
                       f"{e['tpot_min_error']:+.0%} .. {e['tpot_max_error']:+.0%}",
                       "-" if e["ttft_median_abs_error"] is None else f"{e['ttft_median_abs_error']:.1%}")
    console.print(errors)
    if not result.held_out:
        console.print("one source only: no leave-one-source-out error (give runs from two or more sources)")
    for path in written:
        console.print(f"wrote {path}", markup=False)
    if not written:
        console.print("nothing written: add --into DIR to write the profiles with these terms", markup=False)
    return _finish(buffer)


__all__ = ["progress", "render_ops", "render_calibration", "calibration_dict", "REPORT_WIDTH"]
