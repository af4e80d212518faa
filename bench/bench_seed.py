#!/usr/bin/env python3
"""Speed of the seed command and of `perf`, measured (not asserted). Prints figures:

  python3 bench/bench_seed.py [--runs N]

- wall time of `python3 sizing.py <quick start> --json-only` in a fresh process (what a user waits for);
- the same for the full text report;
- wall time of `python3 sizing.py perf ...` (a 64-request closed loop, every operator priced) in a
  fresh process;
- in-process: loading the catalog, one `size()` call on a loaded catalog, one closed-loop solve.

The processes run as an installed package runs: the sources compiled to bytecode first, and
PYTHONDONTWRITEBYTECODE cleared for them (with it set, every start recompiles every module).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))

QUICK_START = ["--model", "opt-oss-120b", "--server", "dgx300", "--storage", "profile_default",
               "--concurrency", "1000", "--effective-context", "131072"]


PERF = ["perf", "--model", "llama-3.1-8b", "--server", "hgx-h100", "--batch", "64", "--input-tokens", "1024",
        "--output-tokens", "1024"]
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def wall_ms(argv, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, os.path.join(ROOT, "sizing.py"), *argv], check=True,
                       stdout=subprocess.DEVNULL, env=ENV)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def in_process_ms(function, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def show(label, samples):
    print(f"{label:<44} median {statistics.median(samples):8.2f} ms   min {min(samples):8.2f} ms   "
          f"({len(samples)} runs)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs

    import compileall

    compileall.compile_dir(os.path.join(ROOT, "src"), quiet=1)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True, env=ENV)
    baseline = (time.perf_counter() - start) * 1000

    from llm_sizing import PerfQuestion, PhysicalOptions, Scenario, ServiceOptions, load_catalog, size
    from llm_sizing.replica import replica_performance

    catalog = load_catalog()
    scenario = Scenario(model="opt-oss-120b", server="dgx300", storage="profile_default",
                        concurrency=1000, effective_context=131072)
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPUs; bare interpreter start ~{baseline:.0f} ms")
    show("sizing.py quick start --json-only (process)", wall_ms(QUICK_START + ["--json-only"], runs))
    show("sizing.py quick start, text report (process)", wall_ms(QUICK_START, runs))
    show("load_catalog() (in process)", in_process_ms(load_catalog, runs * 10))
    show("sizing.py perf, 64 requests (process)", wall_ms(PERF, runs))
    show("size(scenario, catalog) (in process)", in_process_ms(lambda: size(scenario, catalog), runs * 100))
    question = PerfQuestion(model="llama-3.1-8b", server="hgx-h100", batch=64, physical=PhysicalOptions(),
                            service=ServiceOptions(input_tokens=1024, output_tokens=1024))
    show("replica_performance(perf question) (in process)",
         in_process_ms(lambda: replica_performance(question, catalog), runs * 10))


if __name__ == "__main__":
    main()
