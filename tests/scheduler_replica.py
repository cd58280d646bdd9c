"""A scheduler replica for the multi-process tests: passes over accelerated time.

Usage: python scheduler_replica.py START_ISO MINUTES GO_FILE. The database comes from
DAGGO_DATABASE_* variables. The replica waits for GO_FILE, which holds the real time
replicas start at; from then on its clock runs SPEED times faster than real time from
START_ISO, so that replicas agree on the time as real ones do, and it passes as often as
it can until MINUTES simulated minutes are over.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

from attrs import frozen

from daggo_core import Context, Definitions, NoInput, dag
from daggo_core.config import load_config
from daggo_core.plugins import make_plugin_manager
from daggo_core.scheduling.scheduler import Scheduler

JOBS = 10
SPEED = 600
CRONS = ("* * * * *", "*/2 * * * *", "*/3 * * * *")


@frozen
class Done:
    ok: bool


def work(ctx: Context, inp: NoInput) -> Done:
    return Done(True)


def definitions() -> Definitions:
    """JOBS jobs with one schedule per cron of CRONS each: every tick launches a run."""
    jobs = []
    for i in range(JOBS):
        builder = dag.job(f"job_{i}").add(dag.op("work", work))
        for cron in CRONS:
            builder.schedule(cron, overlap="allow", catch_up="all")
        jobs.append(builder.build())
    return Definitions(jobs=jobs)


def main(start_iso: str, minutes: str, go_file: str) -> None:
    if not ({"DAGGO_SQLITE_PATH", "DAGGO_POSTGRES_DSN"} & set(os.environ)):
        sys.exit("set DAGGO_DATABASE_DRIVER and DAGGO_SQLITE_PATH or DAGGO_POSTGRES_DSN")
    config = load_config()
    storage = make_plugin_manager().storage_backend(config.database.driver).open(config.database)
    start = dt.datetime.fromisoformat(start_iso)
    end = start + dt.timedelta(minutes=int(minutes))
    go = Path(go_file)
    while not go.exists() or not go.read_text():
        time.sleep(0.005)
    began = float(go.read_text())

    def clock() -> dt.datetime:
        return min(end, start + dt.timedelta(seconds=(time.time() - began) * SPEED))

    scheduler = Scheduler(storage, definitions().jobs_by_name, clock=clock)
    while True:
        now = clock()
        scheduler.tick(now)
        if now >= end:
            break
    storage.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
