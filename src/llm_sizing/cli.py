"""The command line: parse, build the Scenario, call the calculation, render, pick the exit status.

Exit status: 0 sized; 1 sized but no node count exists (insufficient HBM budget);
2 bad input (one line on stderr, never a traceback).
"""

from __future__ import annotations

import os
import sys
from typing import Optional, Sequence

import click

from .errors import SizingError
from .scenario import DEFAULTS, HA_MODES, KV_ACCOUNTING_MODES
from .units import KV_PRECISION_BYTES

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
  llm-sizing --model ./Qwen3-8B/config.json --server dgx200 --storage profile_default \
    --concurrency 256 --effective-context 32768 --kv-accounting paged
  llm-sizing --model hf:Qwen/Qwen3-8B ...
  # the largest context at which 1000 sessions fit on 2 nodes
  llm-sizing --model gpt-oss-120b --server dgx300 --storage profile_default \
    --concurrency 1000 --fit-context --nodes 2
  # what is in the catalog
  llm-sizing catalog list

\b
Exit status: 0 sized; 1 no session fits the node's KV budget (JSON still printed,
node counts null); 2 bad input.
"""

CATALOG_OPTION_HELP = ("Extra catalog directory (repeatable): every *.json under it is read, entries "
                       "there add to or replace the built-in ones. Also taken from the LLM_SIZING_CATALOG "
                       "environment variable (directories separated by ':').")


def _catalog_option(function):
    return click.option("--catalog", "catalog_dirs", multiple=True, metavar="DIR", help=CATALOG_OPTION_HELP)(function)


def _service_options(function):
    """Workload, targets, efficiency factors and price: shared by sizing and `perf`."""
    options = [
        click.option("--input-tokens", type=int, metavar="TOKENS", help="Prompt tokens per request (performance model)."),
        click.option("--output-tokens", type=int, metavar="TOKENS", help="Output tokens per request (performance model)."),
        click.option("--mfu", type=float, metavar="RATIO", help="Share of the datasheet dense TFLOPS the kernels "
                                                                "reach. [default: 0.60]"),
        click.option("--mbu", type=float, metavar="RATIO", help="Share of the datasheet HBM bandwidth decode "
                                                                "reaches. [default: 0.80]"),
        click.option("--comm-latency-us", type=float, metavar="US", help="Fixed cost of one tensor-parallel "
                                                                         "all-reduce, microseconds. [default: 10]"),
        click.option("--layer-overhead-us", type=float, metavar="US", help="Fixed cost of one decoder layer per "
                                                                           "engine step, microseconds. [default: 40]"),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _service(input_tokens, output_tokens, mfu, mbu, comm_latency_us, layer_overhead_us, target_tpot_ms=None,
             target_ttft_ms=None, price_per_gpu_hour=None):
    from .scenario import ServiceOptions

    given = dict(input_tokens=input_tokens, output_tokens=output_tokens, target_tpot_ms=target_tpot_ms,
                 target_ttft_ms=target_ttft_ms, mfu=mfu, mbu=mbu, comm_latency_us=comm_latency_us,
                 layer_overhead_us=layer_overhead_us,
                 price_per_gpu_hour_usd=price_per_gpu_hour)
    return ServiceOptions(**{key: value for key, value in given.items() if value is not None})


@click.group(invoke_without_command=True, epilog=SIZING_EXAMPLES,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--model", metavar="NAME", help="Model: catalog name or alias (e.g. opt-oss-120b, gpt-oss-20b), a "
                                               "config.json path, a model directory, or hf:ORG/NAME.")
@click.option("--server", metavar="NAME", help="Server (one node): catalog name, e.g. dgx300 (8 x 288 GB HBM).")
@click.option("--storage", metavar="NAME", help="Storage profile for the KV offload tier, e.g. profile_default.")
@click.option("--concurrency", type=int, metavar="SESSIONS",
              help="Concurrent sessions to serve (a whole number > 0).")
@click.option("--effective-context", type=int, metavar="TOKENS",
              help="Context each session holds, in tokens (> 0); clamped to the model's max_position_embeddings.")
@click.option("--kv-precision", type=click.Choice(list(KV_PRECISION_BYTES), case_sensitive=False),
              default=DEFAULTS["kv_precision"], show_default=True,
              help="KV cache element type: fp8 = 1 byte per element (recommended), fp16/bf16 = 2 bytes "
                   "(double the memory), fp32 = 4 bytes.")
@click.option("--kv-budget-ratio", type=float, default=DEFAULTS["kv_budget_ratio"],
              metavar="RATIO", help="Share of the node's HBM given to the KV cache, in (0, 1].  [default: 0.70]")
@click.option("--runtime-overhead-gib", type=float, default=DEFAULTS["runtime_overhead_gib"],
              metavar="GIB", help="GiB (2^30 bytes) per node subtracted from that share for model weights and "
                                  "activations, >= 0.  [default: 120]")
@click.option("--peak-headroom-ratio", type=float, default=DEFAULTS["peak_headroom_ratio"],
              metavar="RATIO", help="Extra sessions to plan for peaks, as a share of the concurrency, >= 0 "
                                    "(0.20 = 20%).  [default: 0.20]")
@click.option("--ha", type=click.Choice(HA_MODES, case_sensitive=False), default=DEFAULTS["ha"], show_default=True,
              help="High availability: n+1 adds one spare node; none adds nothing.")
@click.option("--kv-accounting", type=click.Choice(KV_ACCOUNTING_MODES), default=DEFAULTS["kv_accounting"],
              show_default=True, help="ideal: exact bytes per session; paged: as vLLM allocates them (blocks of "
                                      "--block-size tokens, sliding/chunked windows widened by the step's batched "
                                      "tokens, recurrent state as one page).")
@click.option("--block-size", type=int, default=DEFAULTS["block_size"], show_default=True, metavar="TOKENS",
              help="Paged accounting: tokens per KV block (vLLM --block-size).")
@click.option("--max-num-batched-tokens", type=int, default=DEFAULTS["max_num_batched_tokens"], show_default=True,
              metavar="TOKENS", help="Paged accounting: tokens the engine schedules per step (vLLM "
                                     "--max-num-batched-tokens; 8192 is vllm serve's default on >= 70 GiB GPUs).")
@click.option("--fit-context", is_flag=True,
              help="Instead of nodes, find the largest effective context at which --concurrency sessions fit on "
                   "--nodes nodes (headroom and HA included).")
@click.option("--fit-concurrency", is_flag=True,
              help="Instead of nodes, find the most sessions of --effective-context that fit on --nodes nodes.")
@click.option("--nodes", type=int, metavar="N", help="Nodes available, for --fit-context / --fit-concurrency.")
@click.option("--memory-model", type=click.Choice(["seed", "physical"]), default="seed", show_default=True,
              help="seed: the card's rule (HBM x ratio - overhead per node); physical: per GPU, weights from the "
                   "checkpoint, the layout and the engine's reserve, as vLLM accounts them.")
@click.option("--tensor-parallel", metavar="N|auto", help="Physical: GPUs per tensor-parallel group (1, 2, 4, 8) or "
                                                          "auto (try each, keep the one needing fewest nodes). [default: 1]")
@click.option("--pipeline-parallel", type=int, metavar="N", help="Physical: pipeline stages per replica. [default: 1]")
@click.option("--data-parallel", type=int, metavar="N",
              help="Physical: data-parallel attention ranks per replica (MoE models; experts spread over TP x DP "
                   "GPUs). [default: 1]")
@click.option("--expert-parallel", is_flag=True, help="Physical: whole experts per GPU (EP = TP x DP) instead of "
                                                      "slicing every expert.")
@click.option("--gpu-memory-utilization", type=float, metavar="RATIO",
              help="Physical: vLLM's share of each GPU's total memory for the engine, in (0, 1]. [default: 0.90]")
@click.option("--kv-cache-memory-gib", type=float, metavar="GIB",
              help="Physical: KV cache per GPU given directly (vLLM --kv-cache-memory); skips the reserve.")
@click.option("--weight-format", type=click.Choice(["bf16", "fp16", "fp32", "fp8", "fp8-block", "int8", "int4-awq",
                                                    "int4-gptq", "mxfp4", "nvfp4"]),
              help="Physical: format of the quantized weights, instead of the checkpoint's quantization_config.")
@click.option("--weights-gib", type=float, metavar="GIB",
              help="Physical: the checkpoint's total size (e.g. the safetensors index total_size / 2^30).")
@click.option("--activation-peak-gib", type=float, metavar="GIB", help="Physical: activation peak per GPU "
                                                                        "instead of the estimate.")
@click.option("--cuda-graphs-gib", type=float, metavar="GIB", help="Physical: CUDA graph memory per GPU charged "
                                                                    "to the budget. [default: 0]")
@click.option("--non-torch-gib", type=float, metavar="GIB", help="Physical: non-torch memory per GPU instead of "
                                                                  "the estimate.")
@click.option("--max-num-seqs", type=int, metavar="N", help="Physical: most sessions one engine runs at once (vLLM "
                                                            "--max-num-seqs). [default: 1024]")
@_service_options
@click.option("--target-tpot-ms", type=float, metavar="MS", help="Service target: time per output token. Needs "
                                                                  "--input-tokens and --output-tokens.")
@click.option("--target-ttft-ms", type=float, metavar="MS", help="Service target: time to first token.")
@click.option("--price-per-gpu-hour", type=float, metavar="USD", help="Price of one GPU-hour, for cost per hour and "
                                                                      "per million output tokens.")
@_catalog_option
@click.option("--json-only", is_flag=True, help="Print only the JSON document, no report.")
@click.version_option(package_name="llm-sizing", prog_name="llm-sizing")
@click.pass_context
def main(ctx: click.Context, model, server, storage, concurrency, effective_context, kv_precision, kv_budget_ratio,
         runtime_overhead_gib, peak_headroom_ratio, ha, kv_accounting, block_size, max_num_batched_tokens,
         fit_context, fit_concurrency, nodes, memory_model, tensor_parallel, pipeline_parallel, data_parallel,
         expert_parallel, gpu_memory_utilization, kv_cache_memory_gib, weight_format, weights_gib,
         activation_peak_gib, cuda_graphs_gib, non_torch_gib, max_num_seqs, input_tokens, output_tokens, mfu, mbu,
         comm_latency_us, layer_overhead_us, target_tpot_ms, target_ttft_ms, price_per_gpu_hour, catalog_dirs,
         json_only):
    """Size an LLM inference fleet: KV cache per session, sessions per node, nodes needed.

    KV per session = sum over layers of tokens held x KV heads x (K dim + V dim) x bytes
    (a sliding-window layer holds at most its window); budget per node = HBM x ratio -
    overhead; sessions per node = floor(budget / KV per session); nodes = ceil(concurrency
    x (1 + headroom) / sessions per node), plus one for --ha n+1.
    """
    ctx.obj = {"catalog_dirs": catalog_dirs}
    if ctx.invoked_subcommand:
        return EXIT_OK
    required = {"--model": model, "--server": server, "--storage": storage, "--concurrency": concurrency,
                "--effective-context": effective_context}
    if fit_context and fit_concurrency:
        raise click.UsageError("--fit-context and --fit-concurrency ask different questions; give one")
    if fit_context or fit_concurrency:
        if nodes is None:
            raise click.UsageError("--fit-context and --fit-concurrency need --nodes N (nodes available)")
        required.pop("--effective-context" if fit_context else "--concurrency")
    elif nodes is not None:
        raise click.UsageError("--nodes is for --fit-context or --fit-concurrency")
    missing = [flag for flag, value in required.items() if value is None]
    if len(missing) == len(required) and not (fit_context or fit_concurrency):
        click.echo(ctx.get_help())
        return EXIT_OK
    if missing:
        raise click.UsageError(f"missing {', '.join(missing)}; all of {', '.join(required)} are required "
                               f"(see --help for an example)")

    from .calculate import size
    from .catalog import load_catalog
    from .scenario import PhysicalOptions, Scenario

    catalog = load_catalog(catalog_dirs)
    from .catalog.huggingface import is_model_reference, model_entry_from_reference

    if is_model_reference(model):
        catalog = catalog.with_model(model_entry_from_reference(model))
    physical_flags = {"--tensor-parallel": tensor_parallel, "--pipeline-parallel": pipeline_parallel,
                      "--data-parallel": data_parallel, "--expert-parallel": expert_parallel or None,
                      "--gpu-memory-utilization": gpu_memory_utilization, "--kv-cache-memory-gib": kv_cache_memory_gib,
                      "--weight-format": weight_format, "--weights-gib": weights_gib,
                      "--activation-peak-gib": activation_peak_gib, "--cuda-graphs-gib": cuda_graphs_gib,
                      "--non-torch-gib": non_torch_gib, "--max-num-seqs": max_num_seqs}
    given = [flag for flag, value in physical_flags.items() if value is not None]
    from click.core import ParameterSource

    seed_only = [flag for flag, name in (("--kv-budget-ratio", "kv_budget_ratio"),
                                         ("--runtime-overhead-gib", "runtime_overhead_gib"))
                 if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE]
    if seed_only and memory_model == "physical":
        raise click.UsageError(f"{', '.join(seed_only)} belong to the seed's rule; the physical model budgets each "
                               f"GPU with --gpu-memory-utilization and the estimated reserve")
    if given and memory_model != "physical":
        raise click.UsageError(f"{', '.join(given)} {'need' if len(given) > 1 else 'needs'} --memory-model physical")
    physical = PhysicalOptions()
    if memory_model == "physical":
        physical = PhysicalOptions(
            tensor_parallel=_tensor_parallel(tensor_parallel), pipeline_parallel=pipeline_parallel or 1,
            data_parallel=data_parallel or 1, expert_parallel=expert_parallel,
            gpu_memory_utilization=0.90 if gpu_memory_utilization is None else gpu_memory_utilization,
            kv_cache_memory_gib=kv_cache_memory_gib, weight_format=weight_format, weights_gib=weights_gib,
            activation_peak_gib=activation_peak_gib, cuda_graphs_gib=cuda_graphs_gib, non_torch_gib=non_torch_gib,
            max_num_seqs=1024 if max_num_seqs is None else max_num_seqs)
    scenario = Scenario(model=model, server=server, storage=storage, concurrency=1 if concurrency is None else concurrency,
                        effective_context=1 if effective_context is None else effective_context, kv_precision=kv_precision.lower(),
                        kv_budget_ratio=kv_budget_ratio, runtime_overhead_gib=runtime_overhead_gib,
                        peak_headroom_ratio=peak_headroom_ratio, ha=ha.lower(), kv_accounting=kv_accounting,
                        block_size=block_size, max_num_batched_tokens=max_num_batched_tokens,
                        memory_model=memory_model, physical=physical,
                        service=_service(input_tokens, output_tokens, mfu, mbu, comm_latency_us, layer_overhead_us,
                                         target_tpot_ms, target_ttft_ms, price_per_gpu_hour))
    fit = None
    if fit_context or fit_concurrency:
        from .fit import fit_concurrency as solve_concurrency
        from .fit import fit_context as solve_context

        fit = (solve_context if fit_context else solve_concurrency)(scenario, catalog, nodes)
        sizing = fit.sizing
    else:
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


@main.command("perf")
@click.option("--model", required=True, metavar="NAME", help="Model: catalog name, config.json path, or hf:ORG/NAME.")
@click.option("--server", required=True, metavar="NAME", help="Server: catalog name.")
@click.option("--batch", type=int, required=True, metavar="SESSIONS", help="Sessions decoding together in one replica.")
@click.option("--kv-precision", type=click.Choice(list(KV_PRECISION_BYTES), case_sensitive=False),
              default=DEFAULTS["kv_precision"], show_default=True, help="KV cache element type.")
@click.option("--tensor-parallel", type=int, default=1, show_default=True, metavar="N", help="GPUs per tensor-parallel group.")
@click.option("--pipeline-parallel", type=int, default=1, show_default=True, metavar="N", help="Pipeline stages.")
@click.option("--data-parallel", type=int, default=1, show_default=True, metavar="N",
              help="Data-parallel attention ranks (MoE models).")
@click.option("--expert-parallel", is_flag=True, help="Whole experts per GPU (EP = TP x DP).")
@click.option("--weight-format", type=click.Choice(["bf16", "fp16", "fp32", "fp8", "fp8-block", "int8", "int4-awq",
                                                    "int4-gptq", "mxfp4", "nvfp4"]),
              help="Format of the quantized weights, instead of the checkpoint's.")
@click.option("--max-num-batched-tokens", type=int, default=DEFAULTS["max_num_batched_tokens"], show_default=True,
              metavar="TOKENS", help="Tokens the engine schedules per step (prefill chunk + decode).")
@_service_options
@_catalog_option
@click.option("--json-only", is_flag=True, help="Print only the JSON document.")
@click.pass_context
def perf(ctx, model, server, batch, kv_precision, tensor_parallel, pipeline_parallel, data_parallel, expert_parallel,
         weight_format, max_num_batched_tokens, input_tokens, output_tokens, mfu, mbu, comm_latency_us,
         layer_overhead_us, catalog_dirs, json_only):
    """Time to first token, time per output token and throughput of one replica at a fixed batch
    (a roofline per engine step: docs/performance.md).

    \b
    Examples:
      llm-sizing perf --model llama-3.1-8b --server hgx-h100 --batch 64 --input-tokens 1024 --output-tokens 1024
      python3 sizing.py perf --model gpt-oss-120b --server dgx-b200 --tensor-parallel 2 --batch 128 \\
        --input-tokens 1024 --output-tokens 1024 --json-only
    """
    from .calculate import performance_of
    from .catalog import load_catalog
    from .catalog.huggingface import is_model_reference, model_entry_from_reference
    from .scenario import PhysicalOptions

    if input_tokens is None or output_tokens is None:
        raise click.UsageError("perf needs --input-tokens and --output-tokens (tokens per request)")
    if batch is None or batch < 1:
        raise click.UsageError(f"--batch must be a whole number > 0 (sessions); got {batch}")
    catalog = load_catalog(_dirs(ctx, catalog_dirs))
    if is_model_reference(model):
        catalog = catalog.with_model(model_entry_from_reference(model))
    physical = PhysicalOptions(tensor_parallel=tensor_parallel, pipeline_parallel=pipeline_parallel,
                               data_parallel=data_parallel, expert_parallel=expert_parallel,
                               weight_format=weight_format)
    result = performance_of(catalog, model, server, kv_precision.lower(), batch, physical,
                            _service(input_tokens, output_tokens, mfu, mbu, comm_latency_us, layer_overhead_us),
                            max_num_batched_tokens)
    from .render.json import dumps, performance_dict

    document = performance_dict(result)
    if json_only:
        click.echo(dumps(document))
    else:
        from .render.text import render_performance

        click.echo(render_performance(result), nl=False)
    return EXIT_OK


def _tensor_parallel(value):
    if value is None:
        return 1
    if value.strip().lower() == "auto":
        return "auto"
    try:
        return int(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither a whole number nor auto", param_hint="'--tensor-parallel'")


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


@catalog.command("list")
@click.option("--kind", type=click.Choice(["models", "servers", "storage"]), help="Only this kind.")
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
@click.option("--kind", type=click.Choice(["models", "servers", "storage"]), help="Look only in this kind.")
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
    click.echo(f"valid: {len(loaded.models)} models, {len(loaded.servers)} servers, "
               f"{len(loaded.storage)} storage profiles")
    return EXIT_OK


@catalog.command("import")
@click.argument("source")
@click.option("--name", help="Catalog name for the model (default: the repository or directory name).")
@click.option("--alias", "aliases", multiple=True, help="Another name for it (repeatable).")
@click.option("--into", "into", metavar="DIR", help="User catalog directory to write to (default: the first "
                                                    "--catalog directory, else the first LLM_SIZING_CATALOG one).")
@click.option("--force", is_flag=True, help="Replace an existing file of the same name.")
@_catalog_option
@click.pass_context
def catalog_import(ctx, source, name, aliases, into, force, catalog_dirs):
    """Write a model entry from a Hugging Face config: a config.json path, a model directory, or
    hf:ORG/NAME (fetched into the Hugging Face cache, or read from it offline).

    The config is checked first: an architecture the tool cannot size exactly is refused with the
    missing fields named, and nothing is written.

    \b
    Examples:
      llm-sizing catalog import ./Llama-3.1-8B/config.json --into ~/my-catalog
      llm-sizing catalog import hf:Qwen/Qwen3-8B --name qwen3-8b --into ~/my-catalog
    """
    from pathlib import Path

    from .catalog.huggingface import model_entry_from_reference, write_entry
    from .catalog.loader import user_catalog_dirs

    targets = [into] if into else list(_dirs(ctx, catalog_dirs)) or user_catalog_dirs()
    if not targets:
        raise click.UsageError("give --into DIR (or --catalog DIR, or set LLM_SIZING_CATALOG) to say where to write")
    entry = model_entry_from_reference(source, name=name, aliases=tuple(aliases))
    from .weights import read_checkpoint_format

    read_checkpoint_format(entry.config, entry.hf_quant_config, None, f"model '{entry.name}'")  # refuse unreadable
    path = write_entry(entry, Path(targets[0]).expanduser(), overwrite=force)
    counts = ", ".join(f"{n} {kind}" for kind, n in entry.layer_counts().items())
    click.echo(f"wrote {path}: model '{entry.name}', {entry.num_hidden_layers} layers ({counts}), "
               f"max context {entry.max_position_embeddings:,} tokens")
    return EXIT_OK


@catalog.command("schema")
@click.argument("kind", type=click.Choice(["models", "servers", "storage"]))
def catalog_schema(kind):
    """Print the JSON Schema of a catalog kind."""
    from .catalog import schema_text

    click.echo(schema_text(kind), nl=False)
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
    return status if isinstance(status, int) else EXIT_OK


def entry_point() -> None:
    sys.exit(run())
