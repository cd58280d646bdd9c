"""Soak: 500 runs under random faults; nothing may run twice and no event may be lost.

    python benchmarks/soak.py [--runs 500] [--postgres URL] [--seconds-per-fault 0.7]

A real server (`daggo run`, subprocess executor) serves tests/fault_app.py on a fresh
database (SQLite; PostgreSQL in a throw-away schema with --postgres or
DAGGO_TEST_POSTGRES_URL, reached through a loopback TCP proxy). While it executes
`--runs` runs of the `soaked` job (one op logging a few lines, retried on lost workers),
faults are injected one after another: a running worker SIGKILLed, a running worker
SIGSTOPped (left stopped: the monitor must find it hung and kill it), the database's
write lock held by another process for 1.5 s, and on PostgreSQL the proxy cut for 2 s.
A few runs are executed by a heartbeat-only worker (`daggo job launch --local`, which
the monitor cannot judge by its process) that is then SIGSTOPped too.

Printed at the end, from the ops' own side effects and the stored records:

- runs finished: logical runs (a run and its retries) whose last run ended;
- executed twice (must be 0): an op body running while another of the same logical run
  still ran, a run id whose body started twice, or a logical run that succeeded twice;
  retries started beside the frozen heartbeat-only workers, which were fenced (the one
  overlap daggo allows: such a worker stops once it reaches storage again), are counted
  apart;
- events lost (must be 0): log lines missing (or out of order) from runs that succeeded;
- detection time by fault: from the signal to the run being settled, median and max.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from rich.console import Console
from rich.table import Table

from daggo_core.config import DatabaseConfig
from daggo_core.plugins import make_plugin_manager
from daggo_core.storage.base import RunFilter, Storage
from daggo_core.storage.records import EventKind, Run
from daggo_core.testing.services import launch
from daggo_core.testing.tcp_proxy import TcpProxy
from daggo_postgres.testing import database_config as postgres_database
from daggo_postgres.testing import drop_schema, unique_schema
from daggo_sqlite.testing import database_config as sqlite_database

ROOT = Path(__file__).resolve().parent.parent
DAGGO = [sys.executable, "-m", "daggo_core.cli.main"]
LINES = 5
BODY_SECONDS = 0.4
#: The soak's heartbeat settings: fast, so that hung workers are found in seconds.
INTERVAL, TIMEOUT, BUSY_MS = 0.5, 2.0, 1000
_SQLITE_HOLD = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE"); time.sleep(float(sys.argv[2])); conn.execute("ROLLBACK")
"""
_POSTGRES_HOLD = """
import psycopg, sys, time
with psycopg.connect(sys.argv[1]) as conn:
    conn.execute(f'LOCK TABLE "{sys.argv[2]}".runs, "{sys.argv[2]}".events IN EXCLUSIVE MODE')
    time.sleep(float(sys.argv[3]))
"""


class Soak:
    """One soak: the server, the fault injector and what it did."""

    def __init__(self, workdir: Path, database: DatabaseConfig, env: dict[str, str],
                 proxy: TcpProxy | None) -> None:
        self.workdir, self.database, self.env, self.proxy = workdir, database, env, proxy
        self.fault_dir = workdir / "fault"
        self.storage: Storage = make_plugin_manager().storage_backend(
            database.driver).open(database)
        self.faults: list[tuple[str, float, str]] = []  # (kind, monotonic time, run id)
        self.stopped: list[int] = []
        self.stop = threading.Event()
        self.procs: list[subprocess.Popen[bytes]] = []

    # -- the system under test ------------------------------------------------------

    def start_server(self, port: int) -> None:
        log = (self.workdir / "server.log").open("wb")
        server = subprocess.Popen([*DAGGO, "run", "-f", "app.py"], cwd=self.workdir,
                                  env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(server)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
                return
            time.sleep(0.1)
        raise SystemExit(f"the server did not start; see {self.workdir / 'server.log'}")

    def bodies(self) -> list[list[str]]:
        log = self.fault_dir / "bodies.log"
        return [line.split() for line in log.read_text().splitlines()] if log.exists() else []

    def running_bodies(self) -> dict[str, int]:
        """Run id -> worker pid of bodies that started and have not ended."""
        running: dict[str, int] = {}
        for entry in self.bodies():
            if entry[0] == "start":
                running[entry[1]] = int(entry[3])
            else:
                running.pop(entry[1], None)
        return {run: pid for run, pid in running.items() if pid not in self.stopped}

    # -- faults -----------------------------------------------------------------------

    def inject(self, period: float) -> None:
        kinds = ["sigkill", "sigstop", "lock"] + (["outage"] if self.proxy else [])
        while not self.stop.wait(random.uniform(0.5, 1.5) * period):
            kind = random.choice(kinds)
            if kind in ("sigkill", "sigstop"):
                running = self.running_bodies()
                if not running:
                    continue
                run_id, pid = random.choice(sorted(running.items()))
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL if kind == "sigkill" else signal.SIGSTOP)
                    self.faults.append((kind, time.time(), run_id))
                    if kind == "sigstop":
                        self.stopped.append(pid)
            elif kind == "lock":
                self.faults.append(("lock held 1.5 s", time.time(), ""))
                self.hold_lock(1.5)
            elif self.proxy is not None:
                self.faults.append(("outage 2 s", time.time(), ""))
                with self.proxy.outage():
                    time.sleep(2.0)

    def hold_lock(self, seconds: float) -> None:
        if self.database.driver == "sqlite":
            args = [_SQLITE_HOLD, self.database.sqlite.path, str(seconds)]
        else:
            pg = self.database.postgres
            args = [_POSTGRES_HOLD, pg.dsn, pg.schema, str(seconds)]
        subprocess.run([sys.executable, "-c", *args], check=False, timeout=seconds + 60)

    def heartbeat_only_runs(self, count: int) -> None:
        """Runs executed by `daggo job launch --local`: a worker the monitor can judge by
        its heartbeat only. Each is SIGSTOPped once its body runs."""
        for index in range(count):
            key = f"local{index}"
            proc = subprocess.Popen(
                [*DAGGO, "job", "launch", "soaked", "-f", "app.py", "--local", "--params",
                 json.dumps({"key": key, "seconds": BODY_SECONDS * 20, "lines": LINES})],
                cwd=self.workdir, env=self.env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            self.procs.append(proc)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                mine = [e for e in self.bodies() if e[0] == "start" and int(e[3]) == proc.pid]
                if mine:
                    os.kill(proc.pid, signal.SIGSTOP)
                    self.faults.append(("heartbeat-only", time.time(), mine[0][1]))
                    self.stopped.append(proc.pid)
                    break
                time.sleep(0.05)

    def close(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGCONT)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL) if proc.pid in self.stopped \
                    else proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
        for pid in self.stopped:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        self.storage.close()
        if self.proxy is not None:
            self.proxy.close()

    # -- the verdict ------------------------------------------------------------------

    def verdict(self, originals: list[str]) -> dict[str, Any]:
        runs = {r.id: r for r in self.all_runs()}
        family: dict[str, list[Run]] = collections.defaultdict(list)
        for run in runs.values():
            root = run
            while root.parent_run_id and root.parent_run_id in runs:
                root = runs[root.parent_run_id]
            family[root.id].append(run)
        finished = succeeded = lost_lines = beside_fenced = 0
        twice: list[str] = []
        root_of = {}
        for root_id, members in family.items():
            for member in members:
                root_of[member.id] = root_id
        hit: dict[str, list[str]] = collections.defaultdict(list)
        for kind, _, run_id in self.faults:
            hit[root_of.get(run_id, run_id)].append(kind)
        starts = collections.Counter(e[1] for e in self.bodies() if e[0] == "start")
        twice += [f"run {run} started its body {n} times" for run, n in starts.items() if n > 1]
        overlaps = self.fault_dir / "overlaps.log"
        if overlaps.exists():
            for line in overlaps.read_text().splitlines():
                run_id = line.split()[0]
                faults = hit.get(root_of.get(run_id, run_id), [])
                if "heartbeat-only" in faults:
                    # The lock is held by the frozen heartbeat-only worker, which was
                    # fenced: the one overlap daggo allows (see docs/OPERATIONS.md).
                    beside_fenced += 1
                    continue
                twice.append(f"run {run_id} ran its body while another attempt's still ran "
                             f"(faults on its runs: {', '.join(faults) or 'none'})")
        for root_id in originals:
            members = sorted(family[root_id], key=lambda r: r.created_at)
            if members and members[-1].is_finished:
                finished += 1
            wins = [r for r in members if r.status.value == "SUCCESS"]
            if len(wins) > 1:
                twice.append(f"run {root_id} succeeded {len(wins)} times")
            for run in wins:
                succeeded += 1
                lines = [e.message for e in self.storage.list_events(run.id, limit=10_000)
                         if e.kind is EventKind.LOG and e.step_key == "body"]
                expected = [f"line {i} of body" for i in range(LINES)]
                lost_lines += len(expected) - sum(1 for a, b in zip(lines, expected, strict=False)
                                                  if a == b)
        detection: dict[str, list[float]] = collections.defaultdict(list)
        for kind, at, run_id in self.faults:
            settled = runs.get(run_id) if run_id else None
            if settled is not None and settled.finished_at is not None:
                detection[kind].append(settled.finished_at.timestamp() - at)
        return {"runs": len(originals), "finished": finished, "succeeded": succeeded,
                "twice": twice, "lost": lost_lines, "detection": detection,
                "beside_fenced": beside_fenced,
                "faults": collections.Counter(kind for kind, _, _ in self.faults)}

    def all_runs(self) -> list[Run]:
        return self.storage.list_runs(RunFilter(), limit=100_000)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def soak(args: argparse.Namespace, postgres_url: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="daggo-soak-") as tmp:
        workdir = Path(tmp)
        (workdir / "fault").mkdir()
        (workdir / "app.py").write_text((ROOT / "tests" / "fault_app.py").read_text())
        port = free_port()
        env = {**os.environ, "FAULT_DIR": str(workdir / "fault"),
               "DAGGO_ADMIN_PORT": str(port), "DAGGO_SCHEDULER_ENABLED": "false",
               "DAGGO_EXECUTION_EXECUTOR": "subprocess",
               "DAGGO_EXECUTION_MAX_CONCURRENT_RUNS": "8",
               "DAGGO_EXECUTION_WARM_WORKERS": "3",
               "DAGGO_EXECUTION_POLL_INTERVAL_SECONDS": "0.05",
               "DAGGO_EXECUTION_HEARTBEAT_INTERVAL_SECONDS": str(INTERVAL),
               "DAGGO_EXECUTION_HEARTBEAT_TIMEOUT_SECONDS": str(TIMEOUT),
               "DAGGO_SQLITE_BUSY_TIMEOUT_MS": str(BUSY_MS)}
        proxy: TcpProxy | None = None
        schema = None
        if postgres_url:
            schema = unique_schema("daggo_soak")
            database = postgres_database(postgres_url, schema)
            url = urlsplit(postgres_url)
            proxy = TcpProxy(url.hostname or "127.0.0.1", url.port or 5432)
            env.update(DAGGO_DATABASE_DRIVER="postgres", DAGGO_POSTGRES_SCHEMA=schema,
                       DAGGO_POSTGRES_DSN=urlunsplit(
                           url._replace(netloc=f"{url.username}@127.0.0.1:{proxy.port}")))
        else:
            database = sqlite_database(str(workdir / "daggo.sqlite"))
            env.update(DAGGO_DATABASE_DRIVER="sqlite",
                       DAGGO_SQLITE_PATH=database.sqlite.path)
        run = Soak(workdir, database, env, proxy)
        try:
            run.start_server(port)
            originals = [launch(run.storage, "soaked", key=f"k{i}", seconds=BODY_SECONDS,
                                lines=LINES).id for i in range(args.runs)]
            injector = threading.Thread(target=run.inject, args=(args.seconds_per_fault,),
                                        daemon=True)
            injector.start()
            run.heartbeat_only_runs(3)
            originals += [r.id for r in run.all_runs()
                          if r.parent_run_id is None and r.id not in originals]
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                verdict = run.verdict(originals)
                if verdict["finished"] == len(originals):
                    break
                time.sleep(1.0)
            run.stop.set()
            injector.join()
            return run.verdict(originals)
        finally:
            run.close()
            if schema is not None and postgres_url:
                drop_schema(postgres_url, schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--seconds-per-fault", type=float, default=0.7)
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="give up waiting for the runs after this many seconds")
    parser.add_argument("--postgres", default=os.environ.get("DAGGO_TEST_POSTGRES_URL"),
                        help="also soak PostgreSQL at this URL")
    args = parser.parse_args()
    results = {"sqlite": soak(args, None)}
    if args.postgres:
        results["postgres"] = soak(args, args.postgres)
    table = Table(title=f"soak: {args.runs} runs under faults")
    for column in ("backend", "runs finished", "executed twice", "events lost",
                   "beside a fenced frozen attempt", "faults", "detection median / max (s)"):
        table.add_column(column)
    for backend, verdict in results.items():
        faults = ", ".join(f"{kind} {count}" for kind, count in sorted(verdict["faults"].items()))
        detection = "; ".join(
            f"{kind} {statistics.median(times):.2f} / {max(times):.2f}"
            for kind, times in sorted(verdict["detection"].items()))
        table.add_row(backend, f"{verdict['finished']} / {verdict['runs']}",
                      str(len(verdict["twice"])), str(verdict["lost"]),
                      str(verdict["beside_fenced"]), faults, detection)
    console = Console(width=200)
    console.print(table)
    for backend, verdict in results.items():
        for why in verdict["twice"]:
            console.print(f"{backend}: {why}")
    if any(v["twice"] or v["lost"] or v["finished"] < v["runs"] for v in results.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
