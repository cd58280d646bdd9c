"""W12 log-read: reading a run's 100,000-line event log, by the CLI and by the service.

    python benchmarks/log_read.py [-n 3] [--lines 100000] [--page 90]

Set-up (not timed): a fresh SQLite file in a temporary directory, opened through the
`sqlite` storage backend; a one-op job synced with `sync_definitions`, one finished run
(`SUCCESS`) added with `storage.add_run`, and its log lines (`LOG` events, level `INFO`,
step `op`) inserted directly with `storage.add_events` in batches of 10,000.

Measured, -n times each:

- `daggo runs logs RUN`, the whole process (`python -m daggo_core.cli.main`, stdout to
  /dev/null, `DAGGO_SQLITE_PATH` pointing at the file), timed around the subprocess; the
  exit code is checked every time, and once, with stdout captured, that it printed every
  line. Target: under 2 s.
- `services.runs.events(RunsEventsRequest(run_id, limit=1000))` in this process: the
  first page, and one page deep in the log (page `--page`, reached by following
  `next_cursor`; only the call for that page is timed). Each call must return 1,000 events.

Prints a Rich table with median (min-max) and the targets, then one JSON line per figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from attrs import frozen
from bench_timing import spread, timed
from rich.console import Console
from rich.table import Table

from daggo_core import Context, Definitions, NoInput, dag
from daggo_core.plugins import make_plugin_manager
from daggo_core.services.runs import RunsEventsRequest
from daggo_core.services.sync import sync_definitions
from daggo_core.storage.base import Storage
from daggo_core.storage.records import Event, EventKind, Run, RunStatus
from daggo_core.testing.services import services_over
from daggo_sqlite.testing import database_config

BATCH = 10_000
PAGE = 1000
#: Target for the whole `daggo runs logs` process, seconds.
CLI_TARGET_S = 2.0


@frozen
class Done:
    ok: bool


def op(ctx: Context, inp: NoInput) -> Done:
    return Done(True)


def fill(storage: Storage, lines: int) -> str:
    """Sync the one-op job, add a finished run with `lines` log lines; returns its id."""
    job = dag.job("logs").add(dag.op("op", op)).build()
    sync_definitions(storage, Definitions(jobs=[job]))
    run = storage.add_run(Run(job_name=job.name, status=RunStatus.SUCCESS))
    for start in range(0, lines, BATCH):
        storage.add_events([
            Event(run_id=run.id, kind=EventKind.LOG, level="INFO", step_key="op",
                  message=f"line {i} of the benchmark log: some words to make it a line")
            for i in range(start, min(start + BATCH, lines))])
    return run.id


def cli_logs(run_id: str, env: dict[str, str], cwd: str, *, capture: bool = False) -> bytes:
    """Run `daggo runs logs RUN` as a process; its stdout if `capture`, checked exit code."""
    done = subprocess.run([sys.executable, "-m", "daggo_core.cli.main", "runs", "logs", run_id],
                          env=env, cwd=cwd, check=False,
                          stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                          stderr=subprocess.PIPE)
    assert done.returncode == 0, f"runs logs exited {done.returncode}: {done.stderr.decode()}"
    return done.stdout or b""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=3, help="measurements of each (default 3)")
    parser.add_argument("--lines", type=int, default=100_000, help="log lines (default 100000)")
    parser.add_argument("--page", type=int, default=90,
                        help=f"the deep page to time, {PAGE} events per page (default 90)")
    args = parser.parse_args()
    assert args.page * PAGE <= args.lines, "--page lies beyond the log"

    scratch = tempfile.TemporaryDirectory(prefix="daggo-logs-")
    path = str(Path(scratch.name) / "daggo.sqlite")
    storage = make_plugin_manager().storage_backend("sqlite").open(database_config(path))
    try:
        start = time.perf_counter()
        run_id = fill(storage, args.lines)
        fill_s = time.perf_counter() - start

        env = {**os.environ, "DAGGO_SQLITE_PATH": path}
        printed = cli_logs(run_id, env, scratch.name, capture=True).count(b"\n")
        assert printed >= args.lines, f"runs logs printed {printed} lines, not {args.lines}"
        cli = timed(lambda: cli_logs(run_id, env, scratch.name), args.n)

        runs = services_over(storage).runs

        def page(cursor: str | None) -> str:
            response = runs.events(RunsEventsRequest(run_id=run_id, cursor=cursor, limit=PAGE))
            assert len(response.events) == PAGE, f"a page of {len(response.events)} events"
            return response.next_cursor

        cursor = None
        for _ in range(args.page - 1):  # to the start of page --page
            cursor = page(cursor)
        deep_cursor = cursor
        first = timed(lambda: page(None), args.n)
        deep = timed(lambda: page(deep_cursor), args.n)
    finally:
        storage.close()
        scratch.cleanup()

    table = Table(title=f"W12 log-read: a run with {args.lines:,} log lines on SQLite, "
                        f"median of {args.n}",
                  caption=f"{args.lines:,} events stored in {fill_s:.1f} s (not timed); "
                          f"`runs logs` printed {printed:,} lines")
    for column in ("what", "median (min-max)", "target"):
        table.add_column(column, no_wrap=column != "what")
    table.add_row("`daggo runs logs RUN`, whole process, s", spread(cli, 1, 2),
                  f"< {CLI_TARGET_S:g} s " + ("(met)" if statistics.median(cli) < CLI_TARGET_S
                                               else "(NOT met)"))
    table.add_row(f"runs.events, first page of {PAGE:,}, ms", spread(first, 1000, 1), "")
    table.add_row(f"runs.events, page {args.page} of {PAGE:,}, ms", spread(deep, 1000, 1), "")
    Console().print(table)

    notes = f"one run, {args.lines} LOG events on a fresh SQLite file (WAL)"
    for what, values, units, note in (
            ("runs logs", cli, 1, f"whole process, stdout to /dev/null; target < "
                                   f"{CLI_TARGET_S:g} s; {notes}"),
            ("events page 1", first, PAGE, f"services.runs.events, limit {PAGE}; {notes}"),
            (f"events page {args.page}", deep, PAGE,
             f"services.runs.events, limit {PAGE}, cursor of page {args.page}; {notes}")):
        seconds = statistics.median(values)
        print(json.dumps({"engine": "daggo", "workload": "log-read", "figure": what,
                          "seconds": round(seconds, 5),
                          "per_unit_ms": round(seconds / (args.lines if units == 1 else units)
                                               * 1000, 6),
                          "min_seconds": round(min(values), 5),
                          "max_seconds": round(max(values), 5), "runs": args.n,
                          "notes": note}))


if __name__ == "__main__":
    main()
