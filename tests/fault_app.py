"""The app the fault-tolerance tests serve: written into each test's directory as app.py.

Every op body records its own execution in `FAULT_DIR`, so that tests judge from side
effects alone:

- `bodies.log` gets `start <run> <op> <pid>` when a body starts and `end <run> <op>` when
  it returns (one O_APPEND write each);
- while it runs, a body holds an exclusive lock on `lock-<key>` (`Work.key`, shared by a
  run and its retries); a body that finds the lock taken, i.e. runs while another body
  of the same key still runs in a live process, appends to `overlaps.log`.

A body lasts `Work.seconds` (a retry's `Work.retry_seconds`), logging `Work.lines` lines
meanwhile; canceled, it writes `canceled <run> <op>` and stops.
"""

import fcntl
import os
import time
from pathlib import Path

from attrs import frozen

import daggo_core
from daggo_core import Context, NoInput, dag
from daggo_core.storage.records import RETRY_TAG

FAULT_DIR = Path(os.environ["FAULT_DIR"])
BUSY_STEPS = 16


@frozen
class Work:
    key: str = "work"
    seconds: float = 1.0
    lines: int = 0
    #: How long the body of a retry lasts (default: `seconds`).
    retry_seconds: float | None = None


@frozen
class Done:
    pid: int


def _append(name: str, line: str) -> None:
    fd = os.open(FAULT_DIR / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{line}\n".encode())
    finally:
        os.close(fd)


def _body(ctx: Context, key: str) -> Done:
    work: Work = ctx.params
    retried = RETRY_TAG in ctx.tags and work.retry_seconds is not None
    seconds = work.retry_seconds if retried and work.retry_seconds is not None else work.seconds
    lock = os.open(FAULT_DIR / f"lock-{key}", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _append("overlaps.log", f"{ctx.run_id} {ctx.op_name}")
        _append("bodies.log", f"start {ctx.run_id} {ctx.op_name} {os.getpid()}")
        deadline = time.monotonic() + seconds
        for line in range(work.lines):
            ctx.log.info("line %d of %s", line, ctx.op_name)
            _stop_if_canceled(ctx, max(0.0, deadline - time.monotonic()) / (work.lines - line))
        while time.monotonic() < deadline:
            _stop_if_canceled(ctx, min(0.02, max(0.0, deadline - time.monotonic())))
        _append("bodies.log", f"end {ctx.run_id} {ctx.op_name}")
    finally:
        os.close(lock)  # releases the lock
    return Done(os.getpid())


def _stop_if_canceled(ctx: Context, seconds: float) -> None:
    if ctx.cancel_event.wait(seconds):
        _append("bodies.log", f"canceled {ctx.run_id} {ctx.op_name}")
        raise RuntimeError("canceled")


def guarded(ctx: Context, inp: NoInput) -> Done:
    return _body(ctx, ctx.params.key)


def busy(ctx: Context, inp: NoInput) -> Done:
    return _body(ctx, f"{ctx.params.key}-{ctx.op_name}")


#: The run timeout of the `timed` job, in seconds.
TIMED_TIMEOUT = 3.0
#: Retries of the soak's runs (benchmarks/soak.py kills and hangs their workers).
SOAK_RETRIES = 3

defs = daggo_core.Definitions(jobs=[
    dag.job("soaked", params=Work, run_retries=SOAK_RETRIES).add(
        dag.op("body", guarded)).build(),
    dag.job("guarded", params=Work, run_retries=1).add(dag.op("body", guarded)).build(),
    dag.job("timed", params=Work, timeout=TIMED_TIMEOUT).add(dag.op("body", guarded)).build(),
    dag.job("busy", params=Work).add(
        *(dag.op(f"step{i:02d}", busy) for i in range(BUSY_STEPS))).build(),
])
