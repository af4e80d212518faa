"""The golden matrix: cases x modes, each run through the real CLI (in process) and stored as the
JSON document and the text report in tests/golden/. `tests/test_golden.py` fails on any
difference; regenerate on purpose with

    python3 test_sizing.py tests/test_golden.py --update-golden

and read the diff before committing it: every changed line is a changed answer.

A case is a question (model, server, workload); a mode is how it is asked: the seed's rule with
exact bytes, with vLLM's paged accounting, or the physical model with `--tensor-parallel auto`;
each with and without latency targets. Flags a mode cannot take (expert parallelism outside the
physical model) go in the case's `physical` flags only.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]
    workload: tuple[str, ...]  # what the "targets" modes add
    physical: tuple[str, ...] = ()  # what the physical modes add besides --tensor-parallel auto
    about: str = ""


def _flags(**values) -> tuple[str, ...]:
    out: list[str] = []
    for key, value in values.items():
        flag = "--" + key.replace("_", "-")
        out += [flag] if value is True else [flag, str(value)]
    return tuple(out)


def _sizing(model, server, concurrency, context, storage="profile_default", **extra) -> tuple[str, ...]:
    return _flags(model=model, server=server, storage=storage, concurrency=concurrency, effective_context=context,
                  **extra)


CASES = (
    Case("card-production", _sizing("opt-oss-120b", "dgx300", 1000, 131072, kv_precision="fp8", ha="n+1"),
         _flags(input_tokens=8000, output_tokens=1000, target_tpot_ms=30), about="the card's HA scenario"),
    Case("card-development", _sizing("opt-oss-20b", "dgx200", 100, 32768, kv_precision="fp8", ha="none"),
         _flags(input_tokens=2048, output_tokens=512, target_tpot_ms=20, target_ttft_ms=1000),
         about="the card's development scenario"),
    Case("card-research", _sizing("opt-oss-20b", "dgx200", 500, 65536, kv_precision="fp16"),
         _flags(input_tokens=4096, output_tokens=1024, target_tpot_ms=25), about="the card's fp16 scenario"),
    Case("hybrid-chunked", _sizing("llama-4-scout", "dgx200", 200, 65536),
         _flags(input_tokens=4096, output_tokens=512, target_tpot_ms=40),
         about="Llama 4: chunked local + full attention"),
    Case("hybrid-sliding", _sizing("gemma-4-26b-a4b", "hgx-h100", 300, 32768, kv_precision="bf16"),
         _flags(input_tokens=2048, output_tokens=256, target_tpot_ms=30), _flags(weights_gib=48),
         about="Gemma 4: sliding + global layers with their own head size"),
    Case("mla", _sizing("deepseek-v3", "dgx200", 64, 32768, storage="profile_network_ssd"),
         _flags(input_tokens=2048, output_tokens=256, target_tpot_ms=50), about="DeepSeek V3: MLA latent"),
    Case("mla-sparse", _sizing("deepseek-v3.2", "dgx300", 128, 163840),
         _flags(input_tokens=16000, output_tokens=1000, target_tpot_ms=60),
         about="DeepSeek V3.2: MLA + sparse indexer, context above 128k on local NVMe"),
    Case("mamba-hybrid", _sizing("nemotron-h-56b", "hgx-h100", 256, 8192, storage="profile_cloud_premium"),
         _flags(input_tokens=4096, output_tokens=1024, target_tpot_ms=40), about="Nemotron-H: Mamba2 + attention"),
    Case("gdn-hybrid-moe", _sizing("qwen3-next-80b-a3b", "dgx-b200", 400, 262144, storage="profile_network_ssd"),
         _flags(input_tokens=32000, output_tokens=2000, target_tpot_ms=25),
         about="Qwen3-Next: Gated DeltaNet + attention, MoE, at its 262,144-token limit"),
    Case("moe-expert-parallel", _sizing("qwen3-235b-a22b-fp8", "dgx200", 500, 32768),
         _flags(input_tokens=4096, output_tokens=1024, target_tpot_ms=40),
         _flags(expert_parallel=True, data_parallel=2), about="Qwen3 235B FP8 with expert parallelism"),
    Case("latency-bound", _sizing("opt-oss-120b", "dgx300", 1000, 131072, input_tokens=8000, output_tokens=1000,
                                  target_tpot_ms=8),
         (), about="the quick start with a TPOT target that binds"),
    Case("clamped", _sizing("llama-3.1-8b", "hgx-h100", 2000, 200000, kv_precision="fp16", ha="n+1"),
         _flags(input_tokens=1024, output_tokens=1024, target_tpot_ms=15, price_per_gpu_hour=3),
         about="context clamped to the model's limit, fp16, HA"),
    Case("no-fit", _sizing("llama-3.1-405b", "hgx-h100", 10, 131072, kv_precision="bf16"),
         _flags(input_tokens=1024, output_tokens=128, target_tpot_ms=50),
         about="weights beyond the seed's overhead; no physical layout holds it"),
    Case("fit-context", _flags(model="gpt-oss-120b", server="dgx300", storage="profile_default", concurrency=1000,
                               fit_context=True, nodes=1),
         _flags(input_tokens=8000, output_tokens=1000, target_tpot_ms=30), about="the largest context on 1 node"),
    Case("fit-concurrency", _flags(model="gpt-oss-120b", server="dgx300", storage="profile_default",
                                   effective_context=131072, fit_concurrency=True, nodes=2),
         _flags(input_tokens=8000, output_tokens=1000, target_tpot_ms=30), about="the most sessions on 2 nodes"),
)

MODES = ("seed", "paged", "physical")


def runs() -> list[tuple[str, tuple[str, ...]]]:
    """(run id, argv) for every case x mode x (without, with targets)."""
    out = []
    for case in CASES:
        for mode in MODES:
            base = case.argv
            if mode == "paged":
                base += ("--kv-accounting", "paged")
            elif mode == "physical":
                base += ("--memory-model", "physical", "--tensor-parallel", "auto") + case.physical
            out.append((f"{case.name}--{mode}", base))
            if case.workload:
                out.append((f"{case.name}--{mode}--targets", base + case.workload))
    return out


def invoke(argv) -> tuple[int, str, str]:
    """The CLI in process, as `llm-sizing ARGV`: (exit status, stdout, stderr)."""
    from conftest import cli

    done = cli(argv)
    return done.returncode, done.stdout, done.stderr


def _package_dir() -> str:
    import llm_sizing

    return str(Path(llm_sizing.__file__).resolve().parent)


def normalize(text: str) -> str:
    """The installed package's path (in catalog origins) varies between machines."""
    return text.replace(_package_dir(), "<llm_sizing>")


def record(argv) -> dict[str, str]:
    """What is stored for one run: the text report and the JSON document, each with its exit status."""
    text_status, text_out, text_err = invoke(argv)
    json_status, json_out, json_err = invoke(tuple(argv) + ("--json-only",))
    header = "$ llm-sizing " + " ".join(argv) + "\n"
    text = header + f"exit status: {text_status}\n" + (f"stderr: {text_err}" if text_err else "") + "\n" + text_out
    if json_status != 2:  # the model's config.json is echoed verbatim: its digest says the same in a line
        parsed = json.loads(json_out)
        model = parsed.get("catalog", {}).get("model", {})
        if isinstance(model.get("config"), dict):
            blob = json.dumps(model["config"], sort_keys=True).encode()
            model["config"] = {"sha256": hashlib.sha256(blob).hexdigest()}
    if json_status == 2:
        document = json.dumps({"exit_status": json_status, "stderr": json_err.strip()}, indent=2)
    else:
        document = json.dumps({"exit_status": json_status, "stderr": json_err.strip(),
                               "document": parsed}, indent=2, ensure_ascii=False)
    return {"txt": normalize(text), "json": normalize(document) + "\n"}


def path_of(run_id: str, suffix: str) -> Path:
    return GOLDEN_DIR / f"{run_id}.{suffix}"


def differences(expected, actual, where="$", rel=1e-9) -> list[str]:
    """Where two JSON values differ; floats within a relative 1e-9 (libm may differ in the last bits)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{where}.{k}: missing" for k in expected if k not in actual]
        out += [f"{where}.{k}: unexpected" for k in actual if k not in expected]
        for key in expected:
            if key in actual:
                out += differences(expected[key], actual[key], f"{where}.{key}", rel)
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} items, now {len(actual)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in differences(e, a, f"{where}[{i}]", rel)]
    numbers = (int, float)
    if (isinstance(expected, numbers) and isinstance(actual, numbers) and not isinstance(expected, bool)
            and not isinstance(actual, bool) and type(expected) is type(actual)):
        if expected == actual or math.isclose(expected, actual, rel_tol=rel):
            return []
    elif expected == actual and type(expected) is type(actual):
        return []
    return [f"{where}: {expected!r} -> {actual!r}"]
