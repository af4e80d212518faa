"""Fuzz every command of the CLI: Hypothesis strategies over each command's options (valid values,
boundaries, hostile text and numbers) and over corrupted catalog, config and runs files, each
invocation run in process (`cli.run`, as the entry points call it) under a time limit and judged:

    skipped        the file system refused to write the invocation's own files (not run)
    ok             exit 0 or 1 with nothing on stderr, or exit 2 with one line on stderr and nothing on
                   stdout; any JSON printed parses without NaN or Infinity
    traceback      an exception escaped the CLI (where: the innermost frame in llm_sizing)
    hang           the invocation ran over the time limit (10 s)
    wrong_exit     any other exit status, a refusal of more or less than one line, a refusal that
                   printed a report, output on stderr with exit 0 or 1
    bad_json       --json-only output that is not JSON, or holds NaN or Infinity
    process        (the share also run as real `python3 sizing.py` processes) the process's exit
                   status differs from the in-process one, or it printed a traceback

    python3 scripts/fuzz.py --examples 100000 --workers 2 --processes 400 --record data/fuzz/latest.json
    python3 scripts/fuzz.py --render            # docs/reliability.md from the recorded figures

tests/test_fuzz.py runs the same strategies for a bounded number of examples in the test suite.
Nothing here reads outside the repository or writes outside a temporary directory: every path an
invocation may write to (--into, --catalog, LLM_SIZING_CATALOG) is one of its own temporary
directory or one no process can write (/proc, /dev/null/..., a name too long)."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any, Optional

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
BUILTIN = ROOT / "src" / "llm_sizing" / "catalog" / "builtin"
RUNS = sorted((ROOT / "data" / "runs").glob("*/*.json"))
TIME_LIMIT_S = 10.0
RECORD = ROOT / "data" / "fuzz" / "latest.json"
REPORT = ROOT / "docs" / "reliability.md"
MARKER = "fuzz-figures"
PROG = "llm-sizing"


# ---------------------------------------------------------------------------------------------
# What the strategies draw from: the built-in catalog's names and documents

def _builtin(kind: str) -> list[dict]:
    return json.loads((BUILTIN / f"{kind}.json").read_text(encoding="utf-8"))[kind]


MODEL_DOCS = _builtin("models")
SERVER_DOCS = _builtin("servers")
STORAGE_DOCS = _builtin("storage")
PROFILE_DOCS = _builtin("profiles")
DOCS = {"models": MODEL_DOCS, "servers": SERVER_DOCS, "storage": STORAGE_DOCS, "profiles": PROFILE_DOCS}


def _labels(docs: list[dict]) -> list[str]:
    return sorted({label for doc in docs for label in (doc["name"], *doc.get("aliases", ()))})


MODEL_NAMES, SERVER_NAMES = _labels(MODEL_DOCS), _labels(SERVER_DOCS)
STORAGE_NAMES, PROFILE_NAMES = _labels(STORAGE_DOCS), _labels(PROFILE_DOCS)

#: text no name, number or path should be: empty, blank, huge, other scripts, option look-alikes
HOSTILE_TEXT = ["", " ", "\t", "-", "--", "--json-only", "-h", "a" * 300, "é" * 100, "模型", "١٠٠٠", "\u202e",
                "../../etc/passwd", "null", "None", "true", "{}", "[]", "%s%n", "$(echo x)", "\\", "'", "\""]
HOSTILE_NUMBERS = ["0", "-0", "-1", "1", "2", "nan", "NaN", "inf", "-inf", "Infinity", "1e308", "1e309", "-1e308",
                   "1e-320", "5e-324", "1_000", "١٠٠٠", "１０", "0x10", "1e3", "1.5", ".5", "5.", "+7", " 7",
                   "9" * 30, "9" * 5000, "1" + "0" * 400, "2147483648", "4294967296", "18446744073709551616"]
HOSTILE_PATHS = ["", "/nonexistent/x.json", "/proc", "/proc/self/status", "/dev/null", "/dev/zero", "/dev/urandom",
                 "/etc", "~nosuchuser/x", "~nosuchuser", "~/no-such-dir-llm-sizing", "a" * 300,
                 "/tmp/" + "a" * 300 + "/config.json", "hf:", "hf:org", "hf:../../x", "hf:no-org/no-such-model",
                 "hf:" + "a" * 300]
#: where an invocation may be told to write and cannot: nothing lands outside its own directory
UNWRITABLE = ["/proc/llm-sizing-fuzz", "/dev/null/cat", "~nosuchuser/cat", "/proc/self/fd/1/x",
              "/tmp/" + "a" * 300]


def weighted(*options: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """One of `options`, each drawn with its weight."""
    pool = [strategy for weight, strategy in options for _ in range(weight)]
    return st.integers(0, len(pool) - 1).flatmap(lambda index: pool[index])


def mangled(names: list[str]) -> st.SearchStrategy:
    """A catalog name as typed: exact, in other case, padded, cut short."""
    return st.sampled_from(names).flatmap(lambda name: st.sampled_from(
        [name] * 6 + [name.upper(), f" {name} ", name[:-1] or name, name + "x", name.replace("-", "_")]))


# ---------------------------------------------------------------------------------------------
# Files: a description drawn by the strategies, written to the invocation's directory when run

@dataclasses.dataclass(frozen=True)
class FileSpec:
    """A file to write: `document` dumped as JSON (NaN allowed), then `text_edit` applied."""
    name: str
    document: Any
    text_edit: tuple = ()

    def write(self, directory: Path) -> Path:
        path = directory / self.name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(self.document, allow_nan=True).encode("utf-8")
        path.write_bytes(edit_bytes(data, self.text_edit))
        return path


@dataclasses.dataclass(frozen=True)
class DirSpec:
    """A catalog or model directory: its files."""
    name: str
    files: tuple[FileSpec, ...]

    def write(self, directory: Path) -> Path:
        root = directory / self.name
        root.mkdir(parents=True, exist_ok=True)
        for spec in self.files:
            spec.write(root)
        return root


@dataclasses.dataclass(frozen=True)
class Writable:
    """A fresh directory of the invocation's own (for --into)."""
    name: str

    def write(self, directory: Path) -> Path:
        return directory / self.name


def edit_bytes(data: bytes, edit: tuple) -> bytes:
    if not edit:
        return data
    kind, *args = edit
    if kind == "truncate":
        return data[: int(len(data) * args[0])]
    if kind == "byte":
        at = int(len(data) * args[0])
        return data[:at] + bytes([args[1]]) + data[at:]
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "latin1":
        return data.decode("utf-8").encode("utf-16")
    if kind == "replace":
        return args[0]
    raise ValueError(kind)


DEEP = b"[" * 100_000 + b"]" * 100_000
TEXT_EDITS = st.one_of(
    st.just(()),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("byte"), st.floats(0, 1), st.sampled_from([0x00, 0x80, 0xC3, 0xFF, ord("{"), ord(",")])),
    st.just(("bom",)), st.just(("latin1",)),
    st.tuples(st.just("replace"), st.sampled_from([b"", b"null", b"[]", b"{}", b"42", b"\"x\"", DEEP,
                                                   b'{"models": ' + b"9" * 5000 + b"}", b"NaN",
                                                   b'{"servers": [{"name": NaN}]}'])))
HOSTILE_VALUES = st.sampled_from([None, "", "x", "a" * 1000, -1, 0, 1, 2**31, 2**63, 10**30, 1e308, -1e308, 0.5,
                                  float("nan"), float("inf"), [], {}, [1, 2], {"a": 1}, True, False, "١٠"])


def _paths(document: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path into a JSON document (for mutations)."""
    out = [prefix] if prefix else []
    if isinstance(document, dict):
        for key, value in document.items():
            out += _paths(value, prefix + (key,))
    elif isinstance(document, list):
        for index, value in enumerate(document[:8]):
            out += _paths(value, prefix + (index,))
    return out


def _mutate(document: Any, path: tuple, action: str, value: Any) -> Any:
    """A copy of `document` with the item at `path` deleted, set to `value`, or given a new key."""
    if not path:
        return value if action == "set" else document
    head, rest = path[0], path[1:]
    if isinstance(document, dict):
        copy = dict(document)
        if head not in copy:
            return copy
        if rest:
            copy[head] = _mutate(copy[head], rest, action, value)
        elif action == "delete":
            del copy[head]
        elif action == "add" and isinstance(copy[head], dict):
            copy[head] = {**copy[head], "llm_sizing_fuzz_key": value}
        else:
            copy[head] = value
        return copy
    if isinstance(document, list) and isinstance(head, int) and head < len(document):
        copy = list(document)
        if rest:
            copy[head] = _mutate(copy[head], rest, action, value)
        elif action == "delete":
            del copy[head]
        else:
            copy[head] = value
        return copy
    return document


@st.composite
def mutated(draw, document: Any, max_mutations: int = 3) -> Any:
    """`document` with up to `max_mutations` deletions, hostile values or unknown keys."""
    for _ in range(draw(st.integers(0, max_mutations))):
        paths = _paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["delete", "set", "set", "add"]))
        document = _mutate(document, path, action, draw(HOSTILE_VALUES))
    return document


@st.composite
def catalog_file(draw, kind: Optional[str] = None, clean: bool = False) -> FileSpec:
    """One catalog file: a built-in entry of some kind (renamed, or colliding on purpose), mutated
    (`clean`: renamed and otherwise intact)."""
    kind = kind or draw(st.sampled_from(["servers", "storage", "models", "profiles"]))
    entry = dict(draw(st.sampled_from(DOCS[kind])))
    if clean:
        entry["name"], entry["aliases"] = f"fuzz-{kind}-{draw(st.integers(0, 2))}", []
        return FileSpec(draw(st.sampled_from([f"{kind}.json", f"{kind}/fuzz.json"])), {kind: [entry]})
    entry["name"] = draw(st.sampled_from([entry["name"], "fuzz-entry", "fuzz-" + kind]))
    if draw(st.booleans()):
        entry["aliases"] = draw(st.lists(st.sampled_from(_labels(DOCS[kind]) + ["fuzz-alias"]), max_size=2,
                                         unique=True))
    document = draw(mutated({kind: [entry]}))
    layout = draw(st.sampled_from([f"{kind}.json", f"{kind}/fuzz.json", f"sub/{kind}.json", "notes.json"]))
    return FileSpec(layout, document, draw(weighted((4, st.just(())), (1, TEXT_EDITS))))


@st.composite
def catalog_dir(draw, clean: bool = False) -> DirSpec:
    files = draw(st.lists(catalog_file(clean=clean), min_size=0, max_size=3, unique_by=lambda f: f.name))
    return DirSpec(f"catalog-{draw(st.integers(0, 3))}", tuple(files))


@st.composite
def config_file(draw, clean: bool = False) -> FileSpec:
    """A model's config.json from a built-in entry, mutated (`clean`: as published)."""
    model = draw(st.sampled_from(MODEL_DOCS))
    if clean:
        return FileSpec("model/config.json", model["config"])
    document = draw(mutated(model["config"], max_mutations=4))
    return FileSpec("model/config.json", document, draw(weighted((5, st.just(())), (1, TEXT_EDITS))))


@st.composite
def model_dir(draw, clean: bool = False) -> DirSpec:
    """A model directory: config.json, perhaps a (mutated) hf_quant_config.json and safetensors index."""
    model = draw(st.sampled_from(MODEL_DOCS))
    most = 0 if clean else 2
    files = [FileSpec("config.json", draw(mutated(model["config"], max_mutations=most)))]
    if model.get("hf_quant_config") or (not clean and draw(st.booleans())):
        quant = model.get("hf_quant_config") or {"quantization": {"quant_algo": "FP8"}}
        files.append(FileSpec("hf_quant_config.json", draw(mutated(quant, max_mutations=most)),
                              () if clean else draw(weighted((3, st.just(())), (1, TEXT_EDITS)))))
    if draw(st.booleans()):
        files.append(FileSpec("model.safetensors.index.json",
                              draw(mutated({"metadata": {"total_size": 16_060_522_496}, "weight_map": {}},
                                           max_mutations=most))))
    return DirSpec(f"model-{draw(st.integers(0, 2))}", tuple(files))


@st.composite
def runs_file(draw, clean: bool = False) -> FileSpec:
    """A runs file of the project's (data/runs/), a few rows, mutated; or a vLLM result."""
    if draw(st.booleans()):
        document = json.loads(draw(st.sampled_from(RUNS)).read_text())
        document = {**document, "rows": document["rows"][: draw(st.integers(0 if not clean else 1, 4))]}
    else:
        document = {"date": "20250101-000000", "backend": "vllm", "num_prompts": 100, "request_throughput": 5.0,
                    "mean_ttft_ms": 120.0, "median_ttft_ms": 110.0, "mean_tpot_ms": 20.0, "median_tpot_ms": 19.0,
                    "total_input_tokens": 100_000, "total_output_tokens": 10_000, "max_concurrency": 16,
                    "completed": 100}
    name = draw(st.sampled_from(["runs.json", "runs.csv", "result.json"]))
    if name.endswith(".csv"):
        rows = document.get("rows") or [document]
        keys = sorted({key for row in rows for key in row})
        text = ",".join(keys) + "\n" + "\n".join(",".join(str(row.get(k, "")) for k in keys) for row in rows)
        return FileSpec(name, None, ("replace", text.encode("utf-8")))
    if clean:
        return FileSpec(name, document)
    return FileSpec(name, draw(mutated(document, max_mutations=3)), draw(weighted((4, st.just(())), (1, TEXT_EDITS))))


# ---------------------------------------------------------------------------------------------
# Option values, by what each option is

def _metadata() -> dict[str, dict]:
    """flag -> the input's metadata (kind, range, choices) from the question dataclasses."""
    from llm_sizing.scenario import FitQuestion, PerfQuestion, PhysicalOptions, Scenario, ServiceOptions

    out = {}
    for cls in (Scenario, PhysicalOptions, ServiceOptions, FitQuestion, PerfQuestion):
        for item in dataclasses.fields(cls):
            if "flag" in item.metadata:
                out.setdefault(item.metadata["flag"], item.metadata)
    return out


#: typical values, so a clean invocation mostly sizes something real
TYPICAL = {"--concurrency": (1, 200_000), "--effective-context": (8192, 400_000), "--batch": (1, 512),
           "--input-tokens": (1, 4096), "--output-tokens": (1, 2048), "--nodes": (1, 64), "--block-size": (1, 256),
           "--max-num-batched-tokens": (256, 65_536), "--max-num-seqs": (1, 4096), "--target-tpot-ms": (5, 500),
           "--target-ttft-ms": (100, 30_000), "--runtime-overhead-gib": (0, 400), "--weights-gib": (1, 2000),
           "--kv-cache-memory-gib": (1, 200), "--activation-peak-gib": (0, 20), "--cuda-graphs-gib": (0, 8),
           "--non-torch-gib": (0, 8), "--price-per-gpu-hour": (0, 20), "--pipeline-parallel": (1, 4),
           "--data-parallel": (1, 4), "--tensor-parallel": (1, 8)}


def number_text(flag: str, meta: Optional[dict], whole: bool, clean: bool) -> st.SearchStrategy:
    """In range (most; `clean`: only typical values), at and past its bounds, or hostile text."""
    meta = meta or {}
    low = meta.get("low") if meta.get("low") is not None else (1 if whole else 0)
    high = meta.get("high") if meta.get("high") is not None else 10**6
    if whole:
        low = max(low, 1)
        typical = TYPICAL.get(flag, (low, min(high, 10**6)))
        inside = st.one_of(st.integers(max(low, typical[0]), min(high, typical[1])),
                           st.sampled_from([v for v in (1, 2, 8, 16, 1024, 131072)
                                            if max(low, typical[0]) <= v <= min(high, typical[1])] or [low]))
        edges = st.sampled_from([low, high, high + 1, low - 1, 0])
        valid = inside.map(str)
    else:
        typical = TYPICAL.get(flag, (low, min(high, 1e9)))
        lo, hi = max(low, typical[0]), min(high, typical[1])
        inside = st.floats(lo, hi, allow_nan=False, allow_infinity=False,
                           exclude_min=bool(meta.get("low_open")) and lo == low,
                           exclude_max=bool(meta.get("high_open")) and hi == high)
        edges = st.sampled_from([low, high, high * 2, -1e-9, 0.0])
        valid = st.one_of(inside.map(repr), inside.map(lambda v: f"{v:.3g}").filter(
            lambda t: (float(t) > low if meta.get("low_open") else float(t) >= low) and float(t) <= high))
    if clean:
        return valid
    return weighted((16, valid), (2, edges.map(str)), (2, st.sampled_from(HOSTILE_NUMBERS)))


def option_values(flag: str, param, meta: Optional[dict], clean: bool) -> st.SearchStrategy:
    """Values for one option of one command; `clean`: only values a careful user would give."""
    import click

    from llm_sizing.cli import StrictFloat, StrictInt

    names = {"--model": MODEL_NAMES, "--server": SERVER_NAMES, "--storage": STORAGE_NAMES,
             "--profile": PROFILE_NAMES}
    if flag == "--model":
        if clean:
            return weighted((16, st.sampled_from(MODEL_NAMES)), (2, config_file(clean=True)),
                            (2, model_dir(clean=True)))
        return weighted((16, mangled(MODEL_NAMES)), (3, config_file()), (2, model_dir()),
                        (1, st.sampled_from(HOSTILE_PATHS + HOSTILE_TEXT)))
    if flag in names:
        if clean:
            return st.sampled_from(names[flag])
        return weighted((16, mangled(names[flag])), (1, st.sampled_from(HOSTILE_TEXT)),
                        (1, st.sampled_from(MODEL_NAMES + SERVER_NAMES)))
    if flag == "--catalog":
        if clean:
            return catalog_dir(clean=True)
        return weighted((3, catalog_dir()), (1, st.sampled_from(HOSTILE_PATHS[:12] + UNWRITABLE)))
    if flag == "--into":
        writable = st.integers(0, 2).map(lambda i: Writable(f"into-{i}"))
        return writable if clean else weighted((4, writable), (1, st.sampled_from(UNWRITABLE)))
    if flag == "--speculative":
        valid = ["none", "mtp", "mtp:1", "mtp:3", "draft:llama-3.1-8b", "draft:llama-3.1-8b:4"]
        if clean:
            return st.sampled_from(valid)
        return st.sampled_from(valid + ["mtp:0", "mtp:99", "mtp:x", "draft:nope", "draft:", "eagle", "mtp:1:2",
                                        "MTP"] + HOSTILE_TEXT[:6])
    if flag == "--tensor-parallel" and not isinstance(param.type, StrictInt):
        valid = st.sampled_from(["auto", "1", "2", "4", "8"])
        if clean:
            return valid
        return weighted((3, valid), (1, number_text(flag, {"low": 1, "high": 1024}, True, False)),
                        (1, st.sampled_from(["AUTO", "0", "3", "16", "-1"])))
    if flag == "--device":
        # never a device that would measure (cpu, cuda): those run for seconds to minutes
        return st.sampled_from(["cuda:99", "gpu", "", "cuda:x", "rocm", "tpu", "a" * 300])
    if flag in ("--name", "--alias"):
        valid = st.sampled_from(["mine", "my-model", "fuzz-entry", "fuzz-2"])
        if clean:
            return valid
        return weighted((3, valid), (2, mangled(MODEL_NAMES)), (1, st.sampled_from(HOSTILE_TEXT)))
    if isinstance(param.type, click.Choice):
        valid = st.sampled_from(list(param.type.choices))
        if clean:
            return valid
        return weighted((12, valid), (1, valid.map(str.upper)), (1, st.sampled_from(HOSTILE_TEXT)))
    if isinstance(param.type, StrictInt) or (meta or {}).get("kind") == "count":
        return number_text(flag, meta, True, clean)
    if isinstance(param.type, StrictFloat) or (meta or {}).get("kind") == "number":
        return number_text(flag, meta, False, clean)
    return st.sampled_from(HOSTILE_TEXT)


def argument_values(words: tuple, param, clean: bool) -> st.SearchStrategy:
    """Positional arguments of the subcommands."""
    command = " ".join(words)
    if command == "catalog show":
        valid = st.sampled_from(MODEL_NAMES + SERVER_NAMES + STORAGE_NAMES + PROFILE_NAMES)
        return valid if clean else weighted((6, mangled(MODEL_NAMES + SERVER_NAMES + STORAGE_NAMES + PROFILE_NAMES)),
                                            (1, st.sampled_from(HOSTILE_TEXT)))
    if command == "catalog schema":
        valid = st.sampled_from(["models", "servers", "storage", "profiles"])
        return valid if clean else weighted((4, valid), (1, st.sampled_from(HOSTILE_TEXT)))
    if command == "catalog import":
        if clean:
            return st.one_of(config_file(clean=True), model_dir(clean=True))
        return weighted((4, config_file()), (3, model_dir()), (2, st.sampled_from(HOSTILE_PATHS)),
                        (1, catalog_file()))
    if command == "catalog validate":
        if clean:
            return st.one_of(catalog_dir(clean=True), catalog_file(clean=True))
        return weighted((3, catalog_dir()), (2, catalog_file()), (1, st.sampled_from(HOSTILE_PATHS)))
    if command == "calibrate runs":
        if clean:
            return runs_file(clean=True)
        return weighted((6, runs_file()), (1, st.sampled_from(HOSTILE_PATHS)), (1, catalog_file()))
    return st.sampled_from(HOSTILE_TEXT)


# ---------------------------------------------------------------------------------------------
# Invocations

@dataclasses.dataclass(frozen=True)
class Invocation:
    """An argv whose items are text or files to write first; the environment's catalog variable."""
    command: str
    argv: tuple
    catalog_env: Any = None

    def materialize(self, directory: Path) -> tuple[list[str], Optional[str]]:
        def text(item) -> str:
            return str(item.write(directory)) if isinstance(item, (FileSpec, DirSpec, Writable)) else item
        env = self.catalog_env
        if isinstance(env, (DirSpec,)):
            env = str(env.write(directory))
        return [text(item) for item in self.argv], env


#: how often each command is drawn: the sizing command most (it has the most options and paths)
COMMAND_WEIGHTS = {"": 10, "perf": 5, "catalog list": 1, "catalog show": 2, "catalog validate": 2,
                   "catalog import": 3, "catalog schema": 1, "calibrate runs": 2, "calibrate ops": 1,
                   "catalog": 0, "calibrate": 0}
#: options a command is rarely useful without
REQUIRED = {"": ("--model", "--server", "--storage", "--concurrency", "--effective-context"),
            "perf": ("--model", "--server", "--batch", "--input-tokens", "--output-tokens"),
            "catalog import": ("--into",), "calibrate ops": ("--into",)}


def _commands():
    from llm_sizing.cli_reference import commands

    return [(words, command) for words, command in commands() if COMMAND_WEIGHTS.get(" ".join(words), 0)]


def _physical_flags() -> frozenset:
    from llm_sizing.scenario import PhysicalOptions

    return frozenset(f.metadata["flag"] for f in dataclasses.fields(PhysicalOptions) if "flag" in f.metadata)


@st.composite
def plans(draw) -> dict:
    """What a sizing invocation asks, so most option sets hang together (a few do not, on purpose):
    the memory model, a fit question, a workload, latency targets."""
    physical = draw(st.booleans())
    fit = draw(st.sampled_from([None, None, None, None, "--fit-context", "--fit-concurrency"]))
    workload = draw(st.booleans())
    return {"physical": physical, "fit": fit, "workload": workload, "targets": workload and draw(st.booleans())}


#: the seed rule's own inputs (the physical model refuses them)
SEED_FLAGS = ("--runtime-overhead-gib", "--kv-budget-ratio")


def _chance(flag: str, name: str, plan: dict, physical_flags: frozenset, clean: bool) -> int:
    """Out of 40: how likely `flag` is given in this invocation (`clean`: only options that fit the plan)."""
    rare = 0 if clean else 1
    if flag == "--device":
        return 40  # never the default (cuda): on a GPU machine it would measure for minutes
    if flag in REQUIRED.get(name, ()):
        return 39
    if flag == "--memory-model":
        return 38 if plan["physical"] else 6
    if flag in physical_flags:
        return 12 if plan["physical"] or name == "perf" else rare
    if flag in SEED_FLAGS:
        return rare if plan["physical"] else 8
    if flag in ("--fit-context", "--fit-concurrency"):
        return 40 if plan["fit"] == flag else rare
    if flag == "--nodes":
        return 38 if plan["fit"] else rare
    if flag in ("--input-tokens", "--output-tokens"):
        return 38 if plan["workload"] else rare
    if flag in ("--target-tpot-ms", "--target-ttft-ms"):
        return 26 if plan["targets"] else rare
    return 6


@st.composite
def invocations(draw) -> Invocation:
    import click

    commands = _commands()
    metadata = _metadata()
    physical_flags = _physical_flags()
    pool = [entry for entry in commands for _ in range(COMMAND_WEIGHTS[" ".join(entry[0])])]
    words, command = draw(st.sampled_from(pool))
    name = " ".join(words)
    plan = draw(plans())
    clean = draw(st.booleans())  # half the invocations: what a careful user would type
    argv: list = list(words)
    options = [p for p in command.params if isinstance(p, click.Option) and p.name != "version"]
    for param in options:
        flag = param.opts[0]
        if draw(st.integers(0, 39)) >= _chance(flag, name, plan, physical_flags, clean):
            continue
        if param.is_flag:
            argv.append(draw(st.sampled_from(param.opts)))
            continue
        if flag == "--memory-model" and plan["physical"] and draw(st.integers(0, 9)):
            argv += [flag, "physical"]
            continue
        strategy = option_values(flag, param, metadata.get(flag), clean)
        for _ in range(draw(st.integers(1, 2)) if param.multiple else 1):
            argv += [flag, draw(strategy)]
    for param in command.params:
        if isinstance(param, click.Argument):
            count = 1 if param.nargs == 1 else draw(st.integers(0 if not param.required else 1, 2))
            if param.required or count:
                argv += [draw(argument_values(words, param, clean))
                         for _ in range(max(count, 1 if param.required else 0))]
    # sometimes: the options in another order, an unknown option, a stray word, a value cut off, --help
    tail = () if clean else draw(weighted((24, st.just(())), (1, st.sampled_from([("--no-such-option",), ("stray",), ("--model",),
                                                                 ("--help",), ("--version",), ("-x", "1")]))))
    prefix, rest = argv[: len(words)], argv[len(words):]
    if draw(st.booleans()) and rest:
        pairs = _pairs(rest)
        pairs = draw(st.permutations(pairs))
        rest = [item for pair in pairs for item in pair]
    catalog_env = None if clean else draw(weighted(
        (12, st.none()), (1, catalog_dir()), (1, st.sampled_from(["/nonexistent", "/proc", "", "::", "~nosuchuser"]))))
    return Invocation(name, tuple(prefix + rest + list(tail)), catalog_env)


def _pairs(items: list) -> list[tuple]:
    """Options with their values kept together (a flag alone is a pair of one)."""
    out, index = [], 0
    while index < len(items):
        item = items[index]
        takes_value = isinstance(item, str) and item.startswith("--") and index + 1 < len(items) and not (
            isinstance(items[index + 1], str) and items[index + 1].startswith("--"))
        out.append(tuple(items[index:index + 2]) if takes_value else (item,))
        index += 2 if takes_value else 1
    return out


# ---------------------------------------------------------------------------------------------
# Running one invocation and judging it

class Hang(BaseException):
    """The time limit passed (a BaseException, so nothing in the CLI can catch it)."""


def _alarm(signum, frame):
    raise Hang()


@dataclasses.dataclass
class Outcome:
    command: str
    verdict: str  # ok | traceback | hang | wrong_exit | bad_json | process
    status: Optional[int]
    seconds: float
    place: str = ""  # where a traceback came from
    detail: str = ""
    argv: tuple = ()


def _place(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [frame for frame in frames if "llm_sizing" in frame.filename] or frames
    frame = ours[-1] if ours else None
    where = f"{Path(frame.filename).name}:{frame.lineno} {frame.name}" if frame else "?"
    return f"{type(exc).__name__} at {where}"


def _strict_json(text: str) -> Optional[str]:
    """None when `text` is JSON without NaN or Infinity; else what is wrong."""
    def refuse(constant):
        raise ValueError(f"holds {constant}")
    try:
        json.loads(text, parse_constant=refuse)
    except ValueError as exc:
        return str(exc)[:80]
    return None


def _value_options() -> frozenset:
    """Every option of the command tree that takes a value (so `--name --json-only` names, not asks)."""
    import click

    from llm_sizing.cli_reference import commands

    return frozenset(opt for _, command in commands() for p in command.params
                     if isinstance(p, click.Option) and not p.is_flag for opt in p.opts)


VALUE_OPTIONS = _value_options()


def asks_json(argv: list[str]) -> bool:
    return any(item in ("--json-only", "--json") and (index == 0 or argv[index - 1] not in VALUE_OPTIONS)
               for index, item in enumerate(argv))


def judge(argv: list[str], status: int, out: str, err: str) -> tuple[str, str]:
    if status not in (0, 1, 2):
        return "wrong_exit", f"exit {status}"
    if "Traceback" in err or "Traceback" in out:
        return "traceback", "printed a traceback"
    if status == 2:
        lines = err.strip().splitlines()
        if len(lines) != 1 or not lines[0].startswith(f"{PROG}: "):
            return "wrong_exit", f"exit 2 with {len(lines)} line(s) on stderr"
        if out:
            return "wrong_exit", "exit 2 with a report on stdout"
        return "ok", ""
    if err.strip():
        return "wrong_exit", f"exit {status} with stderr: {err.strip()[:80]}"
    if out.lstrip().startswith(("{", "[")) or asks_json(argv):
        if "--help" not in argv and "--version" not in argv:
            problem = _strict_json(out)
            if problem:
                return "bad_json", problem
    return "ok", ""


def execute(invocation: Invocation, limit_s: float = TIME_LIMIT_S, real_process: bool = False) -> Outcome:
    """Run `invocation` in process under `limit_s` (and, with `real_process`, as python3 sizing.py too)."""
    from llm_sizing.cli import run

    with tempfile.TemporaryDirectory(prefix="llm-sizing-fuzz-") as scratch:
        directory = Path(scratch)
        try:
            argv, catalog_env = invocation.materialize(directory)
        except OSError as exc:  # the file system refused the fixture itself (not the tool's doing)
            return Outcome(invocation.command, "skipped", None, 0.0, detail=f"fixture: {exc}")
        saved = {key: os.environ.get(key) for key in ("LLM_SIZING_CATALOG",)}
        if catalog_env is not None:
            os.environ["LLM_SIZING_CATALOG"] = catalog_env
        else:
            os.environ.pop("LLM_SIZING_CATALOG", None)
        out, err = io.StringIO(), io.StringIO()
        previous = signal.signal(signal.SIGALRM, _alarm)
        start = time.perf_counter()
        status, verdict, place, detail = None, "ok", "", ""
        try:
            signal.setitimer(signal.ITIMER_REAL, limit_s)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = run(argv, prog_name=PROG)
            signal.setitimer(signal.ITIMER_REAL, 0)
            verdict, detail = judge(argv, status, out.getvalue(), err.getvalue())
        except Hang:
            verdict, detail = "hang", f"over {limit_s:g} s"
        except KeyboardInterrupt:
            raise
        except SystemExit as exc:  # the CLI returns its status; exiting the interpreter is a finding
            verdict, detail = "wrong_exit", f"SystemExit({exc.code!r})"
        except BaseException as exc:  # noqa: B902 - an escaped exception is the finding
            signal.setitimer(signal.ITIMER_REAL, 0)
            verdict, place = "traceback", _place(exc)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        seconds = time.perf_counter() - start
    if real_process and verdict == "ok":  # the same invocation in a fresh directory (it may write files)
        with tempfile.TemporaryDirectory(prefix="llm-sizing-fuzz-") as scratch:
            try:
                argv, catalog_env = invocation.materialize(Path(scratch))
            except OSError:
                pass
            else:
                verdict, detail = _compare_process(argv, catalog_env, status, limit_s, scratch)
    return Outcome(invocation.command, verdict, status, seconds, place, detail,
                   tuple(argv) if verdict != "ok" else ())


def _compare_process(argv, catalog_env, status, limit_s, scratch) -> tuple[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "LLM_SIZING_CATALOG"}
    if catalog_env is not None:
        env["LLM_SIZING_CATALOG"] = catalog_env
    try:
        done = subprocess.run([sys.executable, str(ROOT / "sizing.py"), *argv], capture_output=True, cwd=scratch,
                              env=env, timeout=limit_s + 5)
    except subprocess.TimeoutExpired:
        return "hang", "the process ran over the limit"
    stderr = done.stderr.decode("utf-8", "replace")
    if "Traceback" in stderr:
        return "process", "the process printed a traceback"
    if done.returncode != status:
        return "process", f"the process exited {done.returncode}, in process {status}"
    if done.returncode == 2 and len(stderr.strip().splitlines()) != 1:
        return "process", "the process's refusal is not one line"
    return "ok", ""


# ---------------------------------------------------------------------------------------------
# Many invocations: figures

@dataclasses.dataclass
class Figures:
    invocations: int = 0
    verdicts: Counter = dataclasses.field(default_factory=Counter)
    statuses: Counter = dataclasses.field(default_factory=Counter)
    commands: Counter = dataclasses.field(default_factory=Counter)
    places: Counter = dataclasses.field(default_factory=Counter)
    seconds: list = dataclasses.field(default_factory=list)
    processes: int = 0
    failures: list = dataclasses.field(default_factory=list)

    def add(self, outcome: Outcome, real_process: bool = False) -> None:
        self.invocations += 1
        self.processes += real_process
        self.verdicts[outcome.verdict] += 1
        self.statuses[str(outcome.status)] += 1
        self.commands[outcome.command or "(sizing)"] += 1
        self.seconds.append(round(outcome.seconds, 4))
        if outcome.place:
            self.places[outcome.place] += 1
        if outcome.verdict != "ok" and len(self.failures) < 50:
            self.failures.append({"verdict": outcome.verdict, "place": outcome.place, "detail": outcome.detail,
                                  "argv": [a if len(a) < 200 else a[:60] + f"...({len(a)} chars)"
                                           for a in outcome.argv]})

    def merge(self, other: "Figures") -> None:
        self.invocations += other.invocations
        self.processes += other.processes
        for name in ("verdicts", "statuses", "commands", "places"):
            getattr(self, name).update(getattr(other, name))
        self.seconds += other.seconds
        self.failures += other.failures[: max(0, 50 - len(self.failures))]


def run_chunk(task: tuple[int, int, int, float]) -> Figures:
    """`count` invocations drawn with Hypothesis seed `seed`, the first `processes` of them also as
    real processes. Generation only: no shrinking, no example database."""
    seed, count, processes, limit_s = task
    figures = Figures()
    state = {"index": 0}

    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed)
    @given(invocations())
    def body(invocation):
        real = state["index"] < processes
        state["index"] += 1
        figures.add(execute(invocation, limit_s, real), real)

    body()
    return figures


def fuzz(examples: int, workers: int, processes: int, seed: int, limit_s: float, chunk: int = 2000) -> dict:
    import multiprocessing

    tasks, left, left_processes, index = [], examples, processes, 0
    while left > 0:
        count = min(chunk, left)
        share = min(left_processes, max(1, processes * count // max(examples, 1))) if processes else 0
        tasks.append((seed + index, count, share, limit_s))
        left, left_processes, index = left - count, left_processes - share, index + 1
    total = Figures()
    started = time.time()
    with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_setup, maxtasksperchild=1) as pool:
        for done, figures in enumerate(pool.imap_unordered(run_chunk, tasks), 1):
            total.merge(figures)
            print(f"  {total.invocations:,} invocations, {dict(total.verdicts)} "
                  f"({time.time() - started:,.0f} s)", file=sys.stderr, flush=True)
    return record(total, examples, workers, seed, limit_s, time.time() - started)


def _worker_setup() -> None:
    """Each worker: its own scratch working directory, the Hugging Face Hub offline, memory bounded
    (a run that would take gigabytes fails as a traceback, not the machine)."""
    import resource

    os.chdir(tempfile.mkdtemp(prefix="llm-sizing-fuzz-cwd-"))
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="llm-sizing-fuzz-hf-")
    limit = 6 * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _commit() -> str:
    """The repository's commit (and whether the tree had changes), for the record."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{' with changes' if dirty else ''}" if head else "unknown"


def _percentile(values: list, fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(math.ceil(fraction * len(ordered))) - 1)] if ordered else 0.0


def record(figures: Figures, examples: int, workers: int, seed: int, limit_s: float, wall_s: float) -> dict:
    seconds = figures.seconds
    return {
        "command": f"python3 scripts/fuzz.py --examples {examples} --workers {workers} --processes "
                   f"{figures.processes} --seed {seed}",
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
                   f"{platform.python_version()}",
        "llm_sizing_version": __import__("llm_sizing").__version__,
        "commit": _commit(),
        "time_limit_s": limit_s,
        "wall_s": round(wall_s, 1),
        "invocations": figures.invocations,
        "real_processes": figures.processes,
        "verdicts": dict(sorted(figures.verdicts.items())),
        "exit_statuses": dict(sorted(figures.statuses.items())),
        "commands": dict(sorted(figures.commands.items())),
        "traceback_places": dict(figures.places.most_common()),
        "seconds": {"median": _percentile(seconds, 0.5), "p99": _percentile(seconds, 0.99),
                    "max": max(seconds) if seconds else 0.0, "over_limit": sum(s > limit_s for s in seconds)},
        "failures": figures.failures,
    }


def render(figures: dict) -> str:
    """The figures section of docs/reliability.md (between the fuzz-figures markers)."""
    verdicts = figures["verdicts"]
    rows = [("invocations", f"{figures['invocations']:,}"),
            ("of them also run as `python3 sizing.py` processes", f"{figures['real_processes']:,}"),
            ("tracebacks", f"{verdicts.get('traceback', 0):,}"),
            ("runs over the time limit (hangs)", f"{verdicts.get('hang', 0):,}"),
            ("wrong exit status or refusal of more than one line", f"{verdicts.get('wrong_exit', 0):,}"),
            ("JSON with NaN or Infinity, or not JSON", f"{verdicts.get('bad_json', 0):,}"),
            ("process and in-process answers differing", f"{verdicts.get('process', 0):,}")]
    lines = [f"Recorded {figures['date']} by `{figures['command']}` on {figures['machine']} "
             f"(llm-sizing {figures['llm_sizing_version']}, commit {figures.get('commit', 'unknown')}); "
             f"{figures['wall_s']:,.0f} s wall time, time limit "
             f"{figures['time_limit_s']:g} s per invocation. Raw figures: `data/fuzz/latest.json`.", "",
             "| figure | count |", "|---|---:|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    statuses = ", ".join(f"{status}: {count:,}" for status, count in figures["exit_statuses"].items())
    commands = ", ".join(f"`{name}` {count:,}" for name, count in figures["commands"].items())
    seconds = figures["seconds"]
    unrun = " (None: not run, its files could not be written; or a hang)" if "None" in figures["exit_statuses"] else ""
    lines += ["", f"Exit statuses: {statuses}{unrun}. A refusal is status 2 with one line on stderr; status "
                  f"1 is a scenario that does not fit (null node counts).", "",
              f"Invocations per command: {commands}.", "",
              f"Seconds per in-process invocation: median {seconds['median']:.3f}, 99th percentile "
              f"{seconds['p99']:.3f}, max {seconds['max']:.3f}; over {figures['time_limit_s']:g} s: "
              f"{seconds['over_limit']}."]
    if figures["traceback_places"]:
        lines += ["", "Tracebacks by place:", ""]
        lines += [f"- {place}: {count}" for place, count in figures["traceback_places"].items()]
    if figures["failures"]:
        lines += ["", f"First failures ({len(figures['failures'])} kept):", ""]
        lines += [f"- {f['verdict']} {f['place'] or f['detail']}: `{' '.join(f['argv'])}`"
                  for f in figures["failures"][:20]]
    return "\n".join(lines)


def update_report(figures: dict, path: Path = REPORT) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = f"<!-- {MARKER} -->", f"<!-- /{MARKER} -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{render(figures)}\n{end}{tail}", encoding="utf-8")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000, help="invocations to generate and run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes running them")
    parser.add_argument("--processes", type=int, default=0,
                        help="how many of them also to run as real python3 sizing.py processes")
    parser.add_argument("--seed", type=int, default=0, help="Hypothesis seed of the first chunk")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT_S, help="seconds per invocation")
    parser.add_argument("--record", type=Path, help="write the figures (JSON) here, and docs/reliability.md")
    parser.add_argument("--render", action="store_true", help="only rewrite docs/reliability.md from --record "
                                                              "(default data/fuzz/latest.json)")
    args = parser.parse_args(argv)
    if args.render:
        update_report(json.loads((args.record or RECORD).read_text()))
        return 0
    figures = fuzz(args.examples, args.workers, args.processes, args.seed, args.time_limit)
    print(json.dumps({key: value for key, value in figures.items() if key != "failures"}, indent=2))
    for failure in figures["failures"][:20]:
        print(failure, file=sys.stderr)
    if args.record:
        args.record.parent.mkdir(parents=True, exist_ok=True)
        args.record.write_text(json.dumps(figures, indent=2) + "\n")
        update_report(figures)
    bad = sum(count for verdict, count in figures["verdicts"].items() if verdict not in ("ok", "skipped"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
