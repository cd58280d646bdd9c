"""Benchmark daggo on the shared workloads, optionally next to Dagster and Prefect.

    python benchmarks/run.py                 # daggo only
    python benchmarks/run.py --compare       # daggo, dagster and prefect in one run
    python benchmarks/run.py -n 5 --workloads chain50 runs100 --engines daggo,dagster

The shared reference harness (../shared/bench) is copied into benchmarks/.work/ with
daggo's workload scripts (benchmarks/workloads/), `.venvs/daggo` links to the project's
.venv, and the comparison engines get their own venvs from the pinned lock files. The
harness itself runs unchanged; the merged table goes to stdout and to
benchmarks/.work/results/latest.md (raw records: latest.jsonl). See docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bench_harness import Part, render, run_part
from bench_venvs import COMPARE_ENGINES, ensure_engine_venv, ensure_time_bin
from bench_workspace import REPO, find_shared, load_harness, prepare

# The engine whose quick local path keeps no database skips the primed-database row.
NO_DB_ROWS = {"daggo": ("import-warmdb",)}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compare", action="store_true",
                    help="also run dagster and prefect (builds their venvs on first use)")
    ap.add_argument("--engines", default="",
                    help="comma-separated engines (default: daggo; with --compare: "
                         "daggo,dagster,prefect)")
    ap.add_argument("-n", "--reps", type=int, default=3,
                    help="runs per engine per workload (default 3)")
    ap.add_argument("--workloads", nargs="*", default=[],
                    help="workloads to run (default all), space- or comma-separated")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="kill a run after this many seconds (default 300)")
    ap.add_argument("--shared", default=None,
                    help="the shared bench directory (default ../shared/bench)")
    ap.add_argument("--daggo-venv", default=str(REPO / ".venv"),
                    help="venv with daggo installed (default: the project's .venv)")
    return ap.parse_args(argv)


def choose_engines(args: argparse.Namespace) -> list[str]:
    if args.engines:
        engines = [e for e in args.engines.split(",") if e]
    else:
        engines = ["daggo", *COMPARE_ENGINES] if args.compare else ["daggo"]
    unknown = set(engines) - {"daggo", *COMPARE_ENGINES}
    if unknown:
        raise SystemExit(f"unknown engines: {', '.join(sorted(unknown))}")
    return engines


def choose_workloads(args: argparse.Namespace, order: Sequence[str]) -> list[str]:
    asked = [w for item in args.workloads for w in item.split(",") if w]
    unknown = set(asked) - set(order)
    if unknown:
        raise SystemExit(f"unknown workloads: {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(order)})")
    return [w for w in order if not asked or w in asked]


def plan(engines: Sequence[str], workloads: Sequence[str]) -> list[Part]:
    """Harness invocations: every workload has the engines that apply to it.

    Workloads run in harness order, engines interleaved inside each; a workload that some
    engine skips (import-warmdb for daggo) goes to its own invocation.
    """
    parts: list[Part] = []
    for wl in workloads:
        ran = [e for e in engines if wl not in NO_DB_ROWS.get(e, ())]
        if not ran:
            print(f"note: {wl} is n/a for {', '.join(engines)} (no database on the quick "
                  "local path)", flush=True)
        elif parts and list(parts[-1][1]) == ran:
            parts[-1] = (parts[-1][0], ran, [*parts[-1][2], wl])
        else:
            parts.append((f"part{len(parts) + 1}", ran, [wl]))
    return parts


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    engines = choose_engines(args)
    work = prepare(find_shared(args.shared), Path(args.daggo_venv))
    harness = load_harness(work)
    workloads = choose_workloads(args, harness.DEFAULT_ORDER)
    for engine in engines:
        if engine != "daggo":
            ensure_engine_venv(work, engine)
    ensure_time_bin()
    for stale in (work / "results").glob("part*.*"):
        stale.unlink()
    status, raw = 0, []
    for part in plan(engines, workloads):
        code, path = run_part(work, part, args.reps, args.timeout)
        status = status or code
        raw.append(path)
    print()
    print(render(work, raw, args.timeout), end="")
    print(f"\ntables: {work / 'results' / 'latest.md'}  raw: {work / 'results' / 'latest.jsonl'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
