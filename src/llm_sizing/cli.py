"""The command line: parse, build the question, call the calculation, render, pick the exit status.

The options are derived from the question dataclasses (scenario.py: flag, help, unit, range,
choices, default), so a default or a rule is written once; every rule between inputs is the
question's own. Exit status: 0 sized; 1 sized but no node count exists (insufficient memory,
unreachable targets), or stdout could not be written; 2 bad input (one line on stderr, never a
traceback).
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from typing import Optional, Sequence

import click

from .errors import SizingError
from .scenario import (MAX_CONCURRENCY, MAX_CONTEXT_TOKENS, FitQuestion, PerfQuestion, PhysicalOptions, Scenario,
                       ServiceOptions)

EXIT_OK, EXIT_NO_FIT, EXIT_BAD_INPUT = 0, 1, 2

SIZING_EXAMPLES = """\b
Examples:
  # the card's quick start: 1000 sessions of 131,072 tokens of gpt-oss-120b on DGX B300 nodes
  llm-sizing --model opt-oss-120b --server dgx300 --storage profile_default \\
    --concurrency 1000 --effective-context 131072
  # the same with N+1 high availability, JSON only
  python3 sizing.py --model gpt-oss-120b --server dgx300 --storage profile_default \\
    --concurrency 1000 --effective-context 131072 --ha n+1 --json-only
  # a Hugging Face config instead of a catalog name, paged as vLLM allocates
  llm-sizing --model ./Qwen3-8B/config.json --server dgx200 --storage profile_default \\
    --concurrency 256 --effective-context 32768 --kv-accounting paged
  llm-sizing --model hf:Qwen/Qwen3-8B ...
  # the largest context at which 1000 sessions fit on 2 nodes
  llm-sizing --model gpt-oss-120b --server dgx300 --storage profile_default \\
    --concurrency 1000 --fit-context --nodes 2
  # what is in the catalog
  llm-sizing catalog list

\b
Exit status: 0 sized; 1 no session fits the node's KV budget or the targets (JSON still
printed, node counts null); 2 bad input.
"""

CATALOG_OPTION_HELP = ("Extra catalog directory (repeatable): every *.json under it is read, entries "
                       "there add to or replace the built-in ones. Also taken from the LLM_SIZING_CATALOG "
                       "environment variable (directories separated by ':').")


class StrictInt(click.ParamType):
    """A whole number in ASCII digits: no '1_000', no other scripts' digits, no '1e3'."""

    name = "integer"

    def convert(self, value, param, ctx):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,30}", text):
            self.fail(f"{value!r} is not a valid integer (ASCII digits only)", param, ctx)
        return int(text)


class StrictFloat(click.ParamType):
    """A finite decimal number in ASCII: no 'nan', 'inf', '1_000' or other scripts' digits."""

    name = "float"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,4})?", text):
            self.fail(f"{value!r} is not a valid float (a decimal number in ASCII digits)", param, ctx)
        return float(text)


class Layout(click.ParamType):
    """--tensor-parallel: a whole number or auto."""

    name = "N|auto"

    def convert(self, value, param, ctx):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text == "auto":
            return "auto"
        if not re.fullmatch(r"[+-]?[0-9]{1,30}", text):
            self.fail(f"{value!r} is neither a whole number nor auto", param, ctx)
        return int(text)


def _option(item: dataclasses.Field, command: str, prefix: str = ""):
    """A click option for one question field: its flag, type, help and shown default."""
    meta = item.metadata
    kind = meta["kind"]
    has_default = item.default is not dataclasses.MISSING and item.default is not None and kind != "flag"
    shown = meta["default_text"] or (str(item.default) if has_default else None)
    text = meta["help_for"].get(command, meta["help"])
    if prefix and not text.split()[0][1:2].isupper():  # "Pipeline stages" -> "Physical: pipeline stages"
        text = text[0].lower() + text[1:]
    # default None: a value not given is not passed on, so the question's own default applies
    help_text = prefix + text + (f"  [default: {shown}]" if shown else "")
    if kind == "flag":
        return click.option(meta["flag"], item.name, is_flag=True, default=None, help=help_text)
    types = {"count": StrictInt(), "number": StrictFloat(), "name": click.STRING, "layout": Layout()}
    param_type = click.Choice(list(meta["choices"]()), case_sensitive=False) if kind == "choice" else types[kind]
    metavar = None if kind == "choice" else meta["metavar"]
    return click.option(meta["flag"], item.name, type=param_type, default=None, metavar=metavar, help=help_text)


def _options(cls, command: str, prefix: str = "", skip: tuple[str, ...] = ()):
    """Decorators for every field of `cls` the command offers, in field order."""
    return [_option(item, command, prefix) for item in dataclasses.fields(cls)
            if "flag" in item.metadata and command in item.metadata["commands"] and item.name not in skip]


def _apply(options):
    def decorate(function):
        for option in reversed(options):
            function = option(function)
        return function
    return decorate


def _given(cls, values: dict) -> dict:
    """The values of `cls`'s fields the user gave (None or an unset flag: not given)."""
    names = {item.name for item in dataclasses.fields(cls)}
    return {name: value for name, value in values.items()
            if name in names and value is not None and value is not False}


def _build(cls, values: dict, **extra):
    return cls(**_given(cls, values), **extra)


def _catalog_option(function):
    return click.option("--catalog", "catalog_dirs", multiple=True, metavar="DIR", help=CATALOG_OPTION_HELP)(function)


SIZING_OPTIONS = (_options(Scenario, "size") + [
    click.option("--fit-context", is_flag=True,
                 help="Instead of nodes, find the largest effective context at which --concurrency sessions fit on "
                      "--nodes nodes (headroom, HA and targets included; --effective-context, if given, is the "
                      "longest considered)."),
    click.option("--fit-concurrency", is_flag=True,
                 help="Instead of nodes, find the most sessions of --effective-context that fit on --nodes nodes "
                      "(--concurrency, if given, is the most considered)."),
    *_options(FitQuestion, "size")] + _options(PhysicalOptions, "size", "Physical: ")
    + _options(ServiceOptions, "size"))


@click.group(invoke_without_command=True, epilog=SIZING_EXAMPLES,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@_apply(SIZING_OPTIONS)
@_catalog_option
@click.option("--json-only", is_flag=True, help="Print only the JSON document, no report.")
@click.version_option(package_name="llm-sizing", prog_name="llm-sizing")
@click.pass_context
def main(ctx: click.Context, fit_context, fit_concurrency, catalog_dirs, json_only, **values):
    """Size an LLM inference fleet: KV cache per session, sessions per node, nodes needed.

    KV per session = sum over layers of tokens held x KV heads x (K dim + V dim) x bytes
    (a sliding-window layer holds at most its window); budget per node = HBM x ratio -
    overhead; sessions per node = floor(budget / KV per session); nodes = ceil(concurrency
    x (1 + headroom) / sessions per node), plus one for --ha n+1.
    """
    ctx.obj = {"catalog_dirs": catalog_dirs}
    if ctx.invoked_subcommand:
        return EXIT_OK
    unknown = "context" if fit_context else "concurrency" if fit_concurrency else None
    if fit_context and fit_concurrency:
        raise click.UsageError("--fit-context and --fit-concurrency ask different questions; give one")
    if unknown and values.get("nodes") is None:
        raise click.UsageError("--fit-context and --fit-concurrency need --nodes N (nodes available)")
    if not unknown and values.get("nodes") is not None:
        raise click.UsageError("--nodes is for --fit-context or --fit-concurrency")
    required = {"--model": "model", "--server": "server", "--storage": "storage", "--concurrency": "concurrency",
                "--effective-context": "effective_context"}
    bounds = {"context": ("effective_context", MAX_CONTEXT_TOKENS), "concurrency": ("concurrency", MAX_CONCURRENCY)}
    if unknown:  # the unknown's flag, if given, bounds the search
        name, bound = bounds[unknown]
        required = {flag: field for flag, field in required.items() if field != name}
        values = {**values, name: bound if values.get(name) is None else values[name]}
    missing = [flag for flag, name in required.items() if values.get(name) is None]
    if len(missing) == len(required) and not unknown:
        click.echo(ctx.get_help())
        return EXIT_OK
    if missing:
        raise click.UsageError(f"missing {', '.join(missing)}; all of {', '.join(required)} are required "
                               f"(see --help for an example)")
    physical = _build(PhysicalOptions, values) if _given(PhysicalOptions, values) else None
    scenario = _build(Scenario, values, physical=physical, service=_build(ServiceOptions, values))
    catalog = _catalog(catalog_dirs, scenario.model)
    fit = None
    if unknown:
        from .explore.fit import fit as solve

        fit = solve(_build(FitQuestion, values, scenario=scenario, unknown=unknown), catalog)
        sizing = fit.sizing
    else:
        from .pipeline import size

        sizing = size(scenario, catalog)
    if json_only:
        from .render.json import dumps, fit_dict, sizing_dict

        document = sizing_dict(sizing) if sizing is not None else {}
        if fit is not None:
            document["fit"] = fit_dict(fit)
        click.echo(dumps(document))
    else:
        from .render.text import render_fit, render_text

        if fit is not None:
            click.echo(render_fit(fit), nl=False)
        if sizing is not None:
            click.echo(render_text(sizing), nl=False)
    return EXIT_OK if sizing is not None and sizing.feasible else EXIT_NO_FIT


def _catalog(dirs: Sequence[str], model: str):
    """The catalog, with the model itself when --model names a config file, a directory or hf:ORG/NAME."""
    from .catalog import load_catalog
    from .catalog.huggingface import is_model_reference, model_entry_from_reference

    catalog = load_catalog(dirs)
    if is_model_reference(model):
        catalog = catalog.with_model(model_entry_from_reference(model))
    return catalog


PERF_OPTIONS = _options(PerfQuestion, "perf") + _options(PhysicalOptions, "perf") + _options(ServiceOptions, "perf")


@main.command("perf")
@_apply(PERF_OPTIONS)
@_catalog_option
@click.option("--json-only", is_flag=True, help="Print only the JSON document.")
@click.pass_context
def perf(ctx, catalog_dirs, json_only, **values):
    """Time to first token, time per output token and throughput of one replica serving --batch
    requests in flight (closed loop, as benchmark_serving) or one fixed batch (--mode fixed-batch),
    operator by operator (docs/performance.md).

    \b
    Examples:
      llm-sizing perf --model llama-3.1-8b --server hgx-h100 --batch 64 --input-tokens 1024 --output-tokens 1024
      python3 sizing.py perf --model gpt-oss-120b --server dgx-b200 --tensor-parallel 2 --batch 128 \\
        --input-tokens 1024 --output-tokens 1024 --json-only
    """
    from .replica import replica_performance
    from .render.json import dumps, performance_dict

    missing = [flag for flag, name in (("--model", "model"), ("--server", "server"), ("--batch", "batch"))
               if values.get(name) is None]
    if missing:
        raise click.UsageError(f"perf needs {', '.join(missing)} (see --help for an example)")
    question = _build(PerfQuestion, values, physical=_build(PhysicalOptions, values),
                      service=_build(ServiceOptions, values))
    result = replica_performance(question, _catalog(_dirs(ctx, catalog_dirs), question.model))
    if json_only:
        click.echo(dumps(performance_dict(result)))
    else:
        from .render.text import render_performance

        click.echo(render_performance(result), nl=False)
    return EXIT_OK


def _dirs(ctx: click.Context, local: Sequence[str]) -> tuple[str, ...]:
    inherited = (ctx.find_root().obj or {}).get("catalog_dirs", ())
    return tuple(inherited) + tuple(local)


@main.group()
def catalog():
    """List, show, validate and import catalog entries; print their JSON Schemas.

    \b
    Examples:
      llm-sizing catalog list
      llm-sizing catalog list --kind servers --json
      llm-sizing catalog show gpt-oss-120b
      llm-sizing catalog validate ./my-catalog
      llm-sizing catalog import hf:Qwen/Qwen3-8B --into ./my-catalog
      llm-sizing catalog schema models
    """


KIND_CHOICE = click.Choice(["models", "servers", "storage", "profiles"])


@catalog.command("list")
@click.option("--kind", type=KIND_CHOICE, help="Only this kind.")
@click.option("--json", "--json-only", "as_json", is_flag=True, help="Print JSON instead of tables.")
@_catalog_option
@click.pass_context
def catalog_list(ctx, kind, as_json, catalog_dirs):
    """List the entries (built-in and user catalogs), with their key figures and origin."""
    from .catalog import KINDS, load_catalog
    from .render.catalog import catalog_json, render_catalog_table

    loaded = load_catalog(_dirs(ctx, catalog_dirs))
    kinds = (kind,) if kind else KINDS
    if as_json:
        from .render.json import dumps

        click.echo(dumps(catalog_json(loaded, kinds)))
    else:
        click.echo(render_catalog_table(loaded, kinds), nl=False)
    return EXIT_OK


@catalog.command("show")
@click.argument("name")
@click.option("--kind", type=KIND_CHOICE, help="Look only in this kind.")
@_catalog_option
@click.pass_context
def catalog_show(ctx, name, kind, catalog_dirs):
    """Print one entry as JSON (by name or alias)."""
    from .catalog import load_catalog
    from .catalog.loader import find_any
    from .render.json import dumps, entry_dict

    entry = find_any(load_catalog(_dirs(ctx, catalog_dirs)), name, kind)
    click.echo(dumps(entry_dict(entry)))
    return EXIT_OK


@catalog.command("validate")
@click.argument("paths", nargs=-1, metavar="[DIR_OR_FILE]...")
@_catalog_option
@click.pass_context
def catalog_validate(ctx, paths, catalog_dirs):
    """Check the built-in catalog and the given directories or files against the schemas.

    Prints one line per file read and a summary; a broken file gives one line naming the file,
    line, entry and field, and exit status 2.
    """
    from .catalog import load_catalog

    loaded = load_catalog(_dirs(ctx, catalog_dirs) + tuple(paths))
    for source in loaded.sources:
        click.echo(f"ok  {source}")
    for model in loaded.models:  # sizable; only the weights need a figure from the user
        for problem in model.weight_problems():
            click.echo(f"note  model '{model.name}': sized by the seed memory model; the physical one and perf "
                       f"need its weights from you: {problem}")
    click.echo(f"valid: {len(loaded.models)} models, {len(loaded.servers)} servers, "
               f"{len(loaded.storage)} storage profiles, {len(loaded.profiles)} performance profiles")
    return EXIT_OK


@catalog.command("import")
@click.argument("source")
@click.option("--name", help="Catalog name for the model (default: the repository or directory name).")
@click.option("--alias", "aliases", multiple=True, help="Another name for it (repeatable).")
@click.option("--into", "into", metavar="DIR", help="User catalog directory to write to (default: the first "
                                                    "--catalog directory, else the first LLM_SIZING_CATALOG one).")
@click.option("--replace", "--force", "replace", is_flag=True,
              help="Replace an existing entry (and file) of the same name; without it such an import is refused.")
@_catalog_option
@click.pass_context
def catalog_import(ctx, source, name, aliases, into, replace, catalog_dirs):
    """Write a model entry from a Hugging Face config: a config.json path, a model directory, or
    hf:ORG/NAME (fetched into the Hugging Face cache, or read from it offline).

    The config is checked first: an architecture the tool cannot size exactly is refused with the
    missing fields named, and nothing is written.

    \b
    Examples:
      llm-sizing catalog import ./Llama-3.1-8B/config.json --into ~/my-catalog
      llm-sizing catalog import hf:Qwen/Qwen3-8B --name qwen3-8b --into ~/my-catalog
    """
    from .catalog import load_catalog
    from .catalog.huggingface import model_entry_from_reference, write_entry
    from .files import is_dir

    directory = _target_dir(ctx, into, catalog_dirs)
    entry = model_entry_from_reference(source, name=name, aliases=tuple(aliases))
    entry.architecture.checkpoint_format()  # refuse a checkpoint format the tool cannot read
    # the catalog every later command loads: the directories in use plus the one written to
    in_use = _dirs(ctx, catalog_dirs) + ((str(directory),) if is_dir(directory) else ())
    load_catalog(in_use).check_addition("models", entry, replace)
    path = write_entry(entry, directory, overwrite=replace)
    counts = ", ".join(f"{n} {kind}" for kind, n in entry.layer_counts().items())
    click.echo(f"wrote {path}: model '{entry.name}', {entry.num_hidden_layers} layers ({counts}), "
               f"max context {entry.max_position_embeddings:,} tokens")
    return EXIT_OK


@catalog.command("schema")
@click.argument("kind", type=KIND_CHOICE)
def catalog_schema(kind):
    """Print the JSON Schema of a catalog kind."""
    from .catalog import schema_text

    click.echo(schema_text(kind), nl=False)
    return EXIT_OK


@main.group()
def calibrate():
    """Measure this machine's GPU into a performance profile (ops), or fit the engine terms from
    your own benchmark results (runs). Both write user catalog files: load them with --catalog DIR.

    \b
    Examples:
      llm-sizing calibrate ops --server dgx200 --into ./my-catalog
      llm-sizing calibrate ops --device cpu --plan tiny --into /tmp/cpu-catalog
      llm-sizing calibrate runs my-runs.csv
      llm-sizing calibrate runs result.json --model llama-3.1-8b --server hgx-h100 --engine vllm \\
        --tensor-parallel 1 --into ./my-catalog
    """


def _target_dir(ctx, into, catalog_dirs):
    from .catalog.loader import user_catalog_dirs
    from .files import expand

    targets = [into] if into is not None else list(_dirs(ctx, catalog_dirs)) or user_catalog_dirs()
    if not targets:
        raise click.UsageError("give --into DIR (or --catalog DIR, or set LLM_SIZING_CATALOG) to say where to write")
    return expand(targets[0])


@calibrate.command("ops")
@click.option("--device", default="cuda", show_default=True, metavar="DEVICE",
              help="PyTorch device to measure: cuda, cuda:N (ROCm GPUs too) or cpu.")
@click.option("--plan", type=click.Choice(["full", "tiny"]), default="full", show_default=True,
              help="full: the shapes of the shared H200 measurements (a few minutes on a GPU); tiny: toy sizes "
                   "(seconds, for a CPU or a smoke test).")
@click.option("--server", metavar="NAME", help="Catalog server whose GPU this is: its datasheet peaks are what the "
                                               "fractions are shares of, and its GPU model names the profile's. "
                                               "Without it the measured ceilings serve as peaks.")
@click.option("--name", metavar="NAME", help="Profile name (default: the server's profile name with '-local', "
                                             "else 'local-<device>').")
@click.option("--into", metavar="DIR", help="User catalog directory to write the profile to (default: the first "
                                            "--catalog directory, else the first LLM_SIZING_CATALOG one).")
@click.option("--replace", "--force", "force", is_flag=True, help="Replace an existing profile file of the same name.")
@_catalog_option
@click.pass_context
def calibrate_ops(ctx, device, plan, server, name, into, force, catalog_dirs):
    """Measure the operator classes on this machine (PyTorch: pip install 'llm-sizing[calibrate]')
    and write a performance profile.

    Method (the shared H200 measurements'): the median of replays of a CUDA graph, weights rotated
    beyond the cache, random inputs. The profile carries its raw measurements; a server of the same
    GPU model uses it once the directory is loaded (--catalog DIR), or name it with --profile.
    """
    from .calibrate.ops import PLANS, measure, open_device
    from .calibrate.profiles import build_profile, peaks_from_ceilings
    from .catalog import load_catalog
    from .catalog.writer import target_path, write_document
    from .render.calibrate import progress, render_ops

    catalog = load_catalog(_dirs(ctx, catalog_dirs))
    entry = catalog.server(server) if server else None
    builtin = catalog.profile_for(entry) if entry is not None else None
    directory = _target_dir(ctx, into, catalog_dirs)
    if entry is not None:
        default_name = f"{builtin.name}-local" if builtin else f"{entry.name}-local"
    else:
        default_name = f"local-{device.replace(':', '')}"
    profile_name = name or default_name
    target_path("profiles", directory, profile_name, overwrite=force)  # refused now, not after the measuring
    chosen = PLANS[plan]
    handle = open_device(device, chosen)
    with progress(chosen.points, f"measuring on {device}") as advance:
        measurements = measure(handle, advance)
    if entry is not None:
        from .calibrate.profiles import server_peaks

        peaks, gpu_model = server_peaks(entry), entry.gpu_model
        basis = f"the datasheet peaks of server '{entry.name}'"
    else:
        peaks, gpu_model = peaks_from_ceilings(measurements), measurements["meta"]["device"]
        basis = "the measured ceilings (no --server given)"
    profile = build_profile(measurements, profile_name, gpu_model, peaks,
                            f"llm-sizing calibrate ops --plan {plan} on {measurements['meta']['device']}; "
                            f"fractions of {basis}")
    if builtin is not None and builtin.engines:
        profile["engines"] = {engine: dict(terms, source=f"{terms.get('source', '')} (copied from profile "
                                                         f"{builtin.name})")
                              for engine, terms in builtin.engines.items()}
    profile["measurements"] = measurements
    path = write_document("profiles", {"profiles": [profile]}, directory, profile_name, overwrite=force)
    click.echo(render_ops(measurements, profile, path), nl=False)
    return EXIT_OK


@calibrate.command("runs")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--model", metavar="NAME", help="For a vLLM benchmark result (which does not record it): the model.")
@click.option("--server", metavar="NAME", help="For a vLLM benchmark result: the catalog server it ran on.")
@click.option("--engine", type=click.Choice(["vllm", "sglang", "trtllm"]), help="For a vLLM benchmark result: "
                                                                                 "the engine served.")
@click.option("--tensor-parallel", type=StrictInt(), help="For a vLLM benchmark result: tensor-parallel size.")
@click.option("--data-parallel", type=StrictInt(), help="For a vLLM benchmark result: data-parallel size.")
@click.option("--expert-parallel", is_flag=True, default=None, help="For a vLLM benchmark result: experts "
                                                                    "sharded by expert parallelism.")
@click.option("--kv-precision", type=click.Choice(["bf16", "fp8"]), help="For a vLLM benchmark result: the KV "
                                                                          "cache precision.")
@click.option("--per-gpu", is_flag=True, help="Also fit terms per engine and GPU where that pair has 3 runs or more "
                                             "(default: per engine, over every GPU).")
@click.option("--into", metavar="DIR", help="Write the profiles of the runs' GPUs with the fitted terms to this user "
                                            "catalog directory.")
@click.option("--replace", "--force", "force", is_flag=True, help="Replace existing profile files of the same names.")
@click.option("--json-only", is_flag=True, help="Print only the JSON document.")
@_catalog_option
@click.pass_context
def calibrate_runs(ctx, files, model, server, engine, tensor_parallel, data_parallel, expert_parallel, kv_precision,
                   per_gpu, into, force, json_only, catalog_dirs):
    """Fit the engine terms (per-step overhead, per-sequence cost, request overhead) from measured
    end-to-end runs, and print how well the model then predicts them, each source's runs predicted
    with terms fitted on the other sources (leave-one-source-out).

    FILE: a runs file of the project (JSON, data/runs/), a CSV with the same column names
    (docs/performance.md, "Calibrating from runs"), or the JSON that vLLM's serving benchmark
    writes with --save-result (give its setup: --model, --server, --engine, --tensor-parallel ...).
    """
    from .calibrate.runs import calibrate as fit_runs, profiles_with_terms, read_runs
    from .catalog import load_catalog
    from .catalog.writer import write_document
    from .render.calibrate import calibration_dict, render_calibration
    from .render.json import dumps

    setup = {key: value for key, value in (("model", model), ("server", server), ("engine", engine),
                                           ("tensor_parallel", tensor_parallel), ("data_parallel", data_parallel),
                                           ("expert_parallel", expert_parallel), ("kv_precision", kv_precision))
             if value is not None}
    catalog = load_catalog(_dirs(ctx, catalog_dirs))
    runs = [run for path in files for run in read_runs(path, **setup)]
    result = fit_runs(runs, catalog, per_gpu)
    written = []
    if into is not None or force:
        directory = _target_dir(ctx, into, catalog_dirs)
        gpus = {catalog.server(run.server).gpu_model for run in runs}
        for document in profiles_with_terms(catalog, result.fit, gpus):
            name = document["profiles"][0]["name"]
            written.append(str(write_document("profiles", document, directory, name, overwrite=force)))
    if json_only:
        click.echo(dumps(calibration_dict(result, catalog, written)))
    else:
        click.echo(render_calibration(result, catalog, written), nl=False)
    return EXIT_OK


def run(argv: Optional[Sequence[str]] = None, prog_name: Optional[str] = None) -> int:
    """Run the CLI and return the exit status; bad input becomes one line on stderr."""
    prog = prog_name or os.path.basename(sys.argv[0] or "llm-sizing")
    try:
        status = main.main(args=list(argv) if argv is not None else None, prog_name=prog, standalone_mode=False)
    except click.exceptions.Exit as exc:  # --help, --version
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo(f"{prog}: aborted", err=True)
        return EXIT_BAD_INPUT
    except click.ClickException as exc:
        click.echo(f"{prog}: error: {' '.join(exc.format_message().split())}", err=True)
        return EXIT_BAD_INPUT
    except SizingError as exc:
        click.echo(f"{prog}: error: {' '.join(str(exc).split())}", err=True)
        return EXIT_BAD_INPUT
    except OSError as exc:
        if not exc.filename:  # writing the output failed (stdout closed or full): quietly, status 1
            _silence_stdout()
            return EXIT_NO_FIT
        # a named file: each is read or written where a SizingError names it; this is the last guard
        click.echo(f"{prog}: error: {exc.filename}: {exc.strerror or exc}", err=True)
        return EXIT_BAD_INPUT
    if sys.stdout is None:  # started with stdout closed: the answer went nowhere
        return EXIT_NO_FIT
    return status if isinstance(status, int) else EXIT_OK


def _silence_stdout() -> None:
    """After a failed write, point stdout at /dev/null so the interpreter's final flush fails no more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests capture stdout)
        pass


def entry_point() -> None:
    sys.exit(run())
