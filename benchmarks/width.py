"""W11 width: per-op cost of wide and long runs, in-process, on the default storage.

    python benchmarks/width.py [-n 3] [--wide 10000] [--long 5000]

Four graphs run through `daggo_core.execute(job, storage=ephemeral_storage())` (the private
in-memory SQLite storage `execute(job)` uses by default, made before the clock starts):

- fan-out 200: `root` returns the list 0..197, 198 leaves `leaf_i` each read root's output
  and return `items[i] + 1` as a `Leaf`, `total` takes `list[Leaf]` and sums them (the
  graph of `workloads/daggo_fanout200.py`, 200 ops in all);
- fan-out 10,000: the same shape with 9,998 leaves;
- chain 50 and chain 5,000: ops in a line, each returning its input + 1 (one attrs output
  type per link, generated as in `workloads/daggo_chain50.py`).

Building the jobs is not timed; only `execute()` is, with `time.perf_counter()`. Each
graph runs -n times, each run on a fresh storage and the same job object, after one untimed
warm-up run of the 50-op chain (first-run costs of the process land there). Reported per
graph: median ms per op (run seconds / op count) with min and max; then the ratios wide /
narrow of the median per-op cost (fan-out 10,000 / 200, chain 5,000 / 50); target: at most
1.5. Prints a Rich table, then one JSON line per graph.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from attrs import frozen
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent / "workloads"))
from _daggo import EXECUTOR, chain_job, fanout_job

from daggo_core import execute
from daggo_core.definitions.jobs import JobDefinition
from daggo_core.execution.local import ephemeral_storage

#: The target: a wide (long) run's per-op cost at most this times the narrow (short) one's.
TARGET_RATIO = 1.5


@frozen
class Graph:
    """A built job, its op count, the op whose output is checked and the value expected."""

    name: str
    job: JobDefinition
    ops: int
    last_op: str
    expected: int


def fanout(ops: int) -> Graph:
    """root -> `ops - 2` leaves -> total, `ops` ops in all."""
    leaves = ops - 2
    return Graph(name=f"fan-out {ops:,}", job=fanout_job(leaves, f"fanout{ops}"), ops=ops,
                 last_op="total", expected=sum(i + 1 for i in range(leaves)))


def chain(ops: int) -> Graph:
    """`ops` ops in a line, each returning its input + 1 (the last returns `ops`)."""
    job = chain_job(ops, f"chain{ops}")
    return Graph(name=f"chain {ops:,}", job=job, ops=ops, last_op=f"step_{ops}", expected=ops)


def run_once(graph: Graph) -> float:
    """Seconds of one `execute()` of the graph on a fresh storage, checked."""
    storage = ephemeral_storage()
    try:
        start = time.perf_counter()
        result = execute(graph.job, storage=storage)
        elapsed = time.perf_counter() - start
        value = result.output_for(graph.last_op).value
        assert result.success, f"{graph.name}: run {result.run.status}"
        assert value == graph.expected, f"{graph.name}: {value} != {graph.expected}"
        return elapsed
    finally:
        storage.close()


def peak_rss_mb() -> float:
    """Peak RSS of this process so far (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=3, help="runs per graph (default 3)")
    parser.add_argument("--narrow", type=int, default=200, help="ops of the small fan-out")
    parser.add_argument("--wide", type=int, default=10_000, help="ops of the wide fan-out")
    parser.add_argument("--short", type=int, default=50, help="ops of the short chain")
    parser.add_argument("--long", type=int, default=5_000, help="ops of the long chain")
    args = parser.parse_args()

    started = time.perf_counter()
    graphs = [fanout(args.narrow), fanout(args.wide), chain(args.short), chain(args.long)]
    build_s = time.perf_counter() - started
    run_once(graphs[2])  # warm-up, not reported

    runs: dict[str, list[float]] = {}
    rss: dict[str, float] = {}
    for graph in graphs:
        runs[graph.name] = [run_once(graph) for _ in range(args.n)]
        rss[graph.name] = peak_rss_mb()

    def per_op(graph: Graph) -> list[float]:
        return [seconds / graph.ops * 1000 for seconds in runs[graph.name]]

    ratios = {graphs[1].name: statistics.median(per_op(graphs[1]))
              / statistics.median(per_op(graphs[0])),
              graphs[3].name: statistics.median(per_op(graphs[3]))
              / statistics.median(per_op(graphs[2]))}

    table = Table(title=f"W11 width: execute() on in-memory SQLite, median of {args.n} runs",
                  caption=f"ratio: wide / narrow median ms per op; RSS: the process's peak "
                          f"so far; jobs built in {build_s:.1f} s (not timed)")
    for column in ("graph", "ops", "ms/op (min-max)", "ratio", f"<= {TARGET_RATIO}",
                   "RSS MB"):
        table.add_column(column, justify="left" if column == "graph" else "right",
                         no_wrap=True)
    for graph in graphs:
        ms = per_op(graph)
        ratio = ratios.get(graph.name)
        table.add_row(graph.name, f"{graph.ops:,}",
                      f"{statistics.median(ms):.3f} ({min(ms):.3f}-{max(ms):.3f})",
                      "" if ratio is None else f"{ratio:.2f}",
                      "" if ratio is None else ("yes" if ratio <= TARGET_RATIO else "NO"),
                      f"{rss[graph.name]:.0f}")
    Console().print(table)  # run seconds are in the JSON lines

    for graph in graphs:
        ms = per_op(graph)
        record: dict[str, Any] = {
            "engine": "daggo", "workload": "width", "graph": graph.name, "ops": graph.ops,
            "seconds": round(statistics.median(runs[graph.name]), 4),
            "per_unit_ms": round(statistics.median(ms), 4),
            "per_unit_ms_min": round(min(ms), 4), "per_unit_ms_max": round(max(ms), 4),
            "runs": args.n, "rss_mb": round(rss[graph.name]),
            "notes": f"{EXECUTOR}; fresh ephemeral_storage() per run; rss_mb is the "
                     "process's peak so far",
        }
        if graph.name in ratios:
            record["ratio_to_narrow"] = round(ratios[graph.name], 3)
            record["meets_target"] = ratios[graph.name] <= TARGET_RATIO
        print(json.dumps(record))


if __name__ == "__main__":
    main()
