"""UI speed: server time and bytes of the admin's pages, on SQLite.

    python benchmarks/ui_speed.py [-n 20] [--runs 1000000] [--lines 100000] [--ops 500]

Set-up (not timed): a fresh SQLite file; `--runs` finished runs of ten jobs spread over
100 days (8.64 s apart for a million, so that the overview's last 24 hours hold 10,000 of
them; run_history.py inserts them); a job of `--ops` ops (25 columns of ops each
reading every op of the column before, cut to `--ops`), synced; a run with `--lines` log
lines (stored as log_read.py stores them).

Each page is requested -n times (after one untimed request) through the app's ASGI
application in this process (Quart's test client: routing, the service calls, the
template, the whole body read), the "server time" of a page; bytes are the body's size.
Targets: the runs page with 1,000,000 runs stored under 100 ms (its first page and its
tenth, reached through the pages' "Older" links), the run page of a run with 100,000 log
lines under 100 ms and a search of that log under 200 ms (a text on one line: the whole
log is searched), the job page of a 500-op graph under 300 ms, the overview with 10,000
runs in its window under 150 ms. Prints a Rich table, median (max).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import html
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from log_read import fill
from rich.console import Console
from rich.table import Table
from run_history import seed_runs

sys.path.insert(0, str(Path(__file__).parent / "workloads"))
from _daggo import typed_op, value_type

import daggo_core
from daggo_core import Context, Definitions, NoInput, dag
from daggo_core.config import default_config
from daggo_core.definitions.jobs import JobDefinition
from daggo_core.services.runs import RunsCountRequest
from daggo_core.services.sync import sync_definitions
from daggo_core.storage.sql import SqlStorage
from daggo_sqlite.testing import database_config


def graph_job(ops: int, width: int = 25) -> JobDefinition:
    """`ops` ops in columns of `width`, each reading every op of the column before (a
    `list` of that column's output type: one generated type per column)."""
    columns = [list(range(start, min(start + width, ops))) for start in range(0, ops, width)]
    outs = [value_type(f"Column{level}", value=int) for level in range(len(columns))]
    built = []
    for level, column in enumerate(columns):
        inp = NoInput if level == 0 else value_type(f"Column{level}In",
                                                    ups=list[outs[level - 1]])
        for index in column:
            built.append(typed_op(f"op_{index}", _make(outs[level], level == 0), inp,
                                  outs[level]))
    return dag.job("big_graph").add(*built).build()


def _make(out: type, first: bool) -> Callable[[Context, Any], Any]:
    def run(ctx: Context, inp: Any) -> Any:
        return out(1 if first else sum(up.value for up in inp.ups))

    return run


def timed_page(app: daggo_core.DaggoApp, path: str, n: int) -> tuple[list[float], int]:
    async def measure() -> tuple[list[float], int]:
        client = app.asgi.test_client()
        seconds, size = [], 0
        for _ in range(n + 1):
            start = time.perf_counter()
            response = await client.get(path)
            body = await response.get_data()
            seconds.append(time.perf_counter() - start)
            assert response.status_code == 200, f"{path}: {response.status_code}"
            size = len(body)
        return seconds[1:], size

    return asyncio.run(measure())


def older_page(app: daggo_core.DaggoApp, path: str, pages: int) -> str:
    """The path of the page `pages` "Older" links after `path`."""
    async def follow() -> str:
        client = app.asgi.test_client()
        at = path
        for _ in range(pages):
            body = await (await client.get(at)).get_data(as_text=True)
            found = re.search(r'<a href="([^"]*cursor=[^"]*)">Older</a>', body)
            assert found, f"{at} has no Older link"
            at = html.unescape(found.group(1))
        return at

    return asyncio.run(follow())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20, help="timed requests per page (20)")
    parser.add_argument("--runs", type=int, default=1_000_000,
                        help="runs stored (1000000)")
    parser.add_argument("--lines", type=int, default=100_000, help="log lines (100000)")
    parser.add_argument("--ops", type=int, default=500, help="ops of the big job (500)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="daggo-ui-") as scratch:
        cfg = default_config()
        cfg.database = database_config(str(Path(scratch) / "ui.sqlite"))
        cfg.scheduler.enabled = False
        job = graph_job(args.ops)
        app = daggo_core.open(cfg, job)
        try:
            storage = app.services.context.storage
            assert isinstance(storage, SqlStorage)
            seed_runs(storage, args.runs, spacing=dt.timedelta(days=100) / args.runs)
            log_run = fill(storage, args.lines)
            sync_definitions(storage, Definitions(jobs=[job]))  # fill() synced its own
            in_day = app.services.runs.count(RunsCountRequest(
                created_after=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))).count
            stored = f"{args.runs:,} runs stored"
            pages = [(f"runs page, {stored}: first page", "/runs", 100.0),
                     (f"runs page, {stored}: tenth page", older_page(app, "/runs", 9), 100.0),
                     (f"overview, {in_day:,} runs in its 24 h window", "/", 150.0),
                     (f"run page, a run of {args.lines:,} log lines", f"/runs/{log_run}",
                      100.0),
                     ("run page, its log searched for a text on one line",
                      f"/runs/{log_run}?q=line+{args.lines // 2}+of", 200.0),
                     (f"job page, a graph of {args.ops:,} ops", "/jobs/big_graph", 300.0)]
            table = Table(title=f"Admin pages, SQLite: server time (ASGI in-process), "
                                f"median (max) of {args.n}")
            for column in ("page", "ms", "bytes", "target"):
                table.add_column(column)
            for label, path, target in pages:
                seconds, size = timed_page(app, path, args.n)
                median = statistics.median(seconds) * 1000
                table.add_row(label, f"{median:.1f} (max {max(seconds) * 1000:.1f})",
                              f"{size:,}", f"< {target:g} ms "
                              + ("(met)" if median < target else "(NOT met)"))
            Console(width=140).print(table)
        finally:
            app.close()


if __name__ == "__main__":
    main()
