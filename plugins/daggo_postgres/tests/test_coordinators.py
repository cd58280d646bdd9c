"""Several coordinator processes on one schema: every run launched exactly once, on NOTIFY."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

from daggo_core.config import DatabaseConfig
from daggo_core.storage.base import RunFilter
from daggo_core.storage.records import ACTIVE_RUN_STATUSES, EventKind, RunStatus
from daggo_core.testing.services import launch
from daggo_postgres.startup import open_postgres

PROCESSES = 3
RUNS = 30
MAX_CONCURRENT_RUNS = 4

COORDINATOR = textwrap.dedent('''
    import asyncio, os, sys, time
    from attrs import frozen
    import daggo_core
    from daggo_core import Context, NoInput, dag
    from daggo_core.config import load_config

    @frozen
    class Done:
        run_id: str

    def record(ctx: Context, inp: NoInput) -> Done:
        time.sleep(0.02)
        with open(os.environ["RECORD_FILE"], "a") as out:
            out.write(ctx.run_id + "\\n")
        return Done(ctx.run_id)

    job = dag.job("work").add(dag.op("record", record)).build()

    async def main() -> None:
        app = daggo_core.open(load_config(), job)
        coordinator = app.start_execution()
        task = asyncio.create_task(coordinator.run_forever())
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.read)  # until the test closes stdin
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.to_thread(app.close)

    asyncio.run(main())
''')


def test_coordinator_processes_launch_every_run_exactly_once(
    tmp_path: Path, pg_url: str, pg_config: DatabaseConfig
) -> None:
    (tmp_path / "coordinator.py").write_text(COORDINATOR)
    record_file = tmp_path / "launched.txt"
    env = {
        **os.environ,
        "RECORD_FILE": str(record_file),
        "DAGGO_DATABASE_DRIVER": "postgres",
        "DAGGO_POSTGRES_DSN": pg_url,
        "DAGGO_POSTGRES_SCHEMA": pg_config.postgres.schema,
        "DAGGO_EXECUTION_EXECUTOR": "in_process",
        "DAGGO_EXECUTION_MAX_CONCURRENT_RUNS": str(MAX_CONCURRENT_RUNS),
        # Far longer than the test: only NOTIFY wake-ups can get the runs done in time.
        "DAGGO_EXECUTION_POLL_INTERVAL_SECONDS": "60",
    }
    procs = [
        subprocess.Popen([sys.executable, "coordinator.py"], cwd=tmp_path, env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
        for _ in range(PROCESSES)  # started together: schema creation and sync race
    ]
    storage = open_postgres(pg_config.postgres)
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready", proc.communicate(timeout=10)[0]
        runs = [launch(storage, "work") for _ in range(RUNS)]
        deadline, peak = time.monotonic() + 30, 0
        while time.monotonic() < deadline:
            peak = max(peak, storage.count_runs(RunFilter(statuses=tuple(ACTIVE_RUN_STATUSES))))
            if storage.count_runs(RunFilter(statuses=(RunStatus.SUCCESS,))) == RUNS:
                break
            time.sleep(0.01)
    finally:
        outputs = []
        for proc in procs:
            outputs.append(proc.communicate(input="", timeout=30)[0])  # EOF on stdin: stop
        final = {run.id: storage.get_run(run.id) for run in storage.list_runs(limit=RUNS + 1)}
        events = {run_id: storage.list_events(run_id) for run_id in final}
        storage.close()
    assert all(proc.returncode == 0 for proc in procs), outputs
    assert {run.status for run in final.values()} == {RunStatus.SUCCESS}, outputs
    assert set(final) == {run.id for run in runs}
    launched = Counter(record_file.read_text().split())
    assert launched == Counter({run.id: 1 for run in runs})
    for run_events in events.values():
        assert [e.kind for e in run_events].count(EventKind.RUN_STARTED) == 1
    assert peak <= MAX_CONCURRENT_RUNS
    workers = {run.worker_id for run in final.values()}
    assert len(workers) > 1  # the work was shared, not done by one process
