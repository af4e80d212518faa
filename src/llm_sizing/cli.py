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
from .scenario import DEFAULTS, HA_MODES
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


@click.group(invoke_without_command=True, epilog=SIZING_EXAMPLES,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--model", metavar="NAME", help="Model: catalog name or alias (e.g. opt-oss-120b, gpt-oss-20b).")
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
@_catalog_option
@click.option("--json-only", is_flag=True, help="Print only the JSON document, no report.")
@click.version_option(package_name="llm-sizing", prog_name="llm-sizing")
@click.pass_context
def main(ctx: click.Context, model, server, storage, concurrency, effective_context, kv_precision, kv_budget_ratio,
         runtime_overhead_gib, peak_headroom_ratio, ha, catalog_dirs, json_only):
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
    missing = [flag for flag, value in required.items() if value is None]
    if len(missing) == len(required):
        click.echo(ctx.get_help())
        return EXIT_OK
    if missing:
        raise click.UsageError(f"missing {', '.join(missing)}; all of --model, --server, --storage, "
                               f"--concurrency and --effective-context are required (see --help for an example)")

    from .calculate import size
    from .catalog import load_catalog
    from .scenario import Scenario

    scenario = Scenario(model=model, server=server, storage=storage, concurrency=concurrency,
                        effective_context=effective_context, kv_precision=kv_precision.lower(),
                        kv_budget_ratio=kv_budget_ratio, runtime_overhead_gib=runtime_overhead_gib,
                        peak_headroom_ratio=peak_headroom_ratio, ha=ha.lower())
    sizing = size(scenario, load_catalog(catalog_dirs))
    if json_only:
        from .render.json import dumps, sizing_dict

        click.echo(dumps(sizing_dict(sizing)))
    else:
        from .render.text import render_text

        click.echo(render_text(sizing), nl=False)
    return EXIT_OK if sizing.feasible else EXIT_NO_FIT


def _dirs(ctx: click.Context, local: Sequence[str]) -> tuple[str, ...]:
    inherited = (ctx.find_root().obj or {}).get("catalog_dirs", ())
    return tuple(inherited) + tuple(local)


@main.group()
def catalog():
    """List, show, validate catalog entries, and print their JSON Schemas.

    \b
    Examples:
      llm-sizing catalog list
      llm-sizing catalog list --kind servers --json
      llm-sizing catalog show gpt-oss-120b
      llm-sizing catalog validate ./my-catalog
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
