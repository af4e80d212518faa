#!/usr/bin/env python3
"""Our predictions against published vLLM start-up figures (tests/fixtures/vllm_startup_rows.json).

    python3 scripts/validation.py            # print the markdown tables of docs/validation.md

Two kinds of rows:
- first principles: from the model, the GPU and the flags only, predict the weights vLLM reports
  loading ("Model loading took") and the available KV cache memory;
- given the reported available KV memory: predict the KV cache tokens and the maximum concurrency.
"""

from __future__ import annotations

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))

from llm_sizing import Scenario, load_catalog, size  # noqa: E402
from llm_sizing.accounting import max_concurrency, paged_account, pool_blocks  # noqa: E402
from llm_sizing.architecture import read_architecture  # noqa: E402
from llm_sizing.kv import Paging  # noqa: E402
from llm_sizing.layout import Layout, per_gpu_architecture  # noqa: E402
from llm_sizing.scenario import PhysicalOptions  # noqa: E402
from llm_sizing.units import BYTES_PER_GIB, bytes_to_gib  # noqa: E402

ROWS = os.path.join(ROOT, "tests", "fixtures", "vllm_startup_rows.json")
PERF_ROWS = os.path.join(ROOT, "tests", "fixtures", "perf_measurements.json")


def load_rows():
    with open(ROWS) as handle:
        return json.load(handle)


def predict_first_principles(row, catalog=None):
    """(weights loading GiB, available KV GiB) predicted for a row."""
    catalog = catalog or load_catalog()
    options = PhysicalOptions(tensor_parallel=row["tp"], gpu_memory_utilization=row["util"],
                              weight_format=row.get("weight_format"))
    scenario = Scenario(model=row["model"], server=row["server"], storage="profile_default", concurrency=1,
                        effective_context=row["max_model_len"], kv_precision="bf16", memory_model="physical",
                        physical=options, max_num_batched_tokens=row.get("max_num_batched_tokens", 8192))
    plan = size(scenario, catalog).physical
    return bytes_to_gib(plan.weights_loading_bytes_per_gpu), bytes_to_gib(plan.kv_pool_bytes_per_gpu)


def predict_given_kv(row, catalog=None):
    """(KV cache tokens, maximum concurrency) from the reported available KV memory."""
    catalog = catalog or load_catalog()
    config = row["config"]
    arch = catalog.model(config).architecture if isinstance(config, str) else read_architecture(config)
    arch = per_gpu_architecture(arch, Layout(tensor_parallel=row["tp"]))
    account = paged_account(arch, row["max_model_len"], row["kv_bytes"], Paging(row["block_size"], 8192))
    blocks = pool_blocks(int(row["available_kv_gib"] * BYTES_PER_GIB), account)
    return blocks * account.block_tokens, max_concurrency(blocks, account)


def load_perf_rows():
    with open(PERF_ROWS) as handle:
        return json.load(handle)["rows"]


def predict_tpot(row, catalog=None):
    """The performance model's TPOT (ms) for a published measurement's setup."""
    from llm_sizing.calculate import performance_of
    from llm_sizing.scenario import ServiceOptions

    catalog = catalog or load_catalog()
    physical = PhysicalOptions(tensor_parallel=row["tp"], weight_format=row.get("weight_format"))
    service = ServiceOptions(input_tokens=row["input_tokens"], output_tokens=row["output_tokens"])
    result = performance_of(catalog, row["model"], row["server"], row["kv_precision"], row["batch"], physical,
                            service, 8192)
    return result.performance.tpot_ms


def perf_table(catalog=None) -> str:
    import statistics

    catalog = catalog or load_catalog()
    out = ["| row | model | server, TP | batch | in / out | measured TPOT ms | predicted | error | engine | source |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    errors = []
    for row in load_perf_rows():
        predicted = predict_tpot(row, catalog)
        err = error(predicted, row["tpot_ms"])
        errors.append(abs(err))
        out.append(f"| {row['id']} | {row['model']} | {row['server']}, TP{row['tp']} | {row['batch']} | "
                   f"{row['input_tokens']:,} / {row['output_tokens']:,} | {row['tpot_ms']:.2f} ({row['measured_as']}) | "
                   f"{predicted:.2f} | {100 * err:+.1f}% | {row['engine']} | {row['source']} |")
    out.append("")
    out.append(f"Median absolute error: {100 * statistics.median(errors):.1f}% over {len(errors)} measurements.")
    return "\n".join(out) + "\n"


def error(predicted, reported):
    return (predicted - reported) / abs(reported)


def table() -> str:
    rows = load_rows()
    catalog = load_catalog()
    out = ["| row | model | GPU, TP, util | reported weights GiB | predicted | error | reported available KV GiB | predicted | error | source |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows["first_principles"]:
        weights, kv = predict_first_principles(row, catalog)
        rep = row["reported"]
        w_rep = rep.get("weights_gib")
        w = (f"{w_rep:.2f} | {weights:.2f} | {100 * error(weights, w_rep):+.1f}%" if w_rep is not None else "- | - | -")
        out.append(f"| {row['id']} | {row['model']} | {row['server']}, TP{row['tp']}, {row['util']:.2f} | {w} | "
                   f"{rep['available_kv_gib']:.2f} | {kv:.2f} | {100 * error(kv, rep['available_kv_gib']):+.1f}% | "
                   f"{row['source']} |")
    out += ["", "| row | model | available KV GiB (reported) | reported tokens | predicted | error | reported concurrency | predicted | error | source |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows["given_kv_memory"]:
        tokens, concurrency = predict_given_kv(row, catalog)
        rep = row["reported"]
        name = row["config"] if isinstance(row["config"], str) else row["id"]
        out.append(f"| {row['id']} | {name} | {row['available_kv_gib']:.2f} | {rep['kv_cache_tokens']:,} | {tokens:,} | "
                   f"{100 * error(tokens, rep['kv_cache_tokens']):+.2f}% | {rep['max_concurrency']:.2f}x | "
                   f"{concurrency:.2f}x | {100 * error(concurrency, rep['max_concurrency']):+.2f}% | {row['source']} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(table(), end="")
    print()
    print(perf_table(), end="")
