"""`daggo workers list | pools | drain | resume`: the worker registry of every server on
the database, seen and steered from the command line (`daggo worker` starts workers)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource
from rich.markup import escape
from rich.table import Table

from daggo_core.cli.common import (
    collect_pages,
    command_services,
    config_option,
    console,
    server_options,
)
from daggo_core.services.api import ServicesApi
from daggo_core.services.workers import (
    WORKERS_PAGE_MAX,
    PoolStatus,
    PoolSummary,
    WorkersDrainRequest,
    WorkersGetManyRequest,
    WorkersResumeRequest,
    WorkerStatus,
    WorkerSummary,
)

__all__ = ["WAIT_POLL_SECONDS", "WAIT_TIMEOUT_SECONDS", "workers"]

F = TypeVar("F", bound=Callable[..., Any])

#: How often `workers drain --wait` reads the target's state again (a registrant acts on
#: a drain at its next heartbeat, every `execution.heartbeat_interval_seconds`).
WAIT_POLL_SECONDS = 1.0
#: How long `workers drain --wait` waits for DRAINED unless `--timeout` says.
WAIT_TIMEOUT_SECONDS = 600.0

_STYLES = {
    "ACTIVE": "green", "IDLE": "green", "STARTING": "cyan", "RUNNING": "cyan",
    "DRAINING": "yellow", "DRAINED": "dim", "LOST": "bold red",
}


@click.group("workers", short_help="List, drain and resume workers and pools "
             "(`daggo worker` starts them).")
def workers() -> None:
    """See, drain and resume the worker pools and worker processes of every server on
    the database (distinct from `daggo worker`, which starts a worker).

    A pool is a server's coordinator and executor (`subprocess@HOST:PID`) or a plugin's
    workers (`celery@web-2`); a worker is one process, named HOST:PID. Drained, it
    finishes the runs it has and takes no more: what a deploy script waits for
    (`drain --wait`) before it stops a machine.
    """


def _target_options(fn: F) -> F:
    fn = click.option("--worker", metavar="HOST:PID",
                      help="The worker process (`daggo workers list` shows them).")(fn)
    return click.option("--pool", metavar="NAME",
                        help="The pool (`daggo workers pools` shows them).")(fn)


def _one_target(pool: str | None, worker: str | None) -> None:
    if pool is None and worker is None:
        raise click.UsageError("name a pool (--pool NAME) or a worker (--worker HOST:PID); "
                               "`daggo workers pools` and `daggo workers list` show them")
    if pool is not None and worker is not None:
        raise click.UsageError("give --pool or --worker, not both")


@workers.command("list")
@config_option
@server_options
@click.pass_context
def list_workers(ctx: click.Context, config_path: Path | None) -> None:
    """List the worker processes, by host, then pid."""
    with command_services(ctx, config_path) as services:
        found, lost_after = _all_workers(services)
    now = dt.datetime.now(dt.UTC)
    table = _table(f"{_count(len(found), 'worker')}; LOST: no heartbeat for over {lost_after:g} s",
                   ("id", "pool", "executor", "state", "run", "queues", "version",
                    "heartbeat"), whole=("id", "state"))
    for w in found:
        run = f"{w.run_id[:8]} {w.job_name or ''}".strip() if w.run_id else ""
        state = _state(w.state) + (" (pool)" if w.drained_with_pool else "")
        table.add_row(escape(w.id), escape(w.pool or ""), escape(w.executor), state,
                      escape(run), escape(", ".join(w.queues)), escape(w.version),
                      _ago(w.heartbeat_at, now))
    console().print(table)


@workers.command("pools")
@config_option
@server_options
@click.pass_context
def list_pools(ctx: click.Context, config_path: Path | None) -> None:
    """List the pools, by name, with their runs, their workers and their drain."""
    with command_services(ctx, config_path) as services:
        found = services.workers.get_pools()
    now = dt.datetime.now(dt.UTC)
    table = _table(f"{_count(len(found.pools), 'pool')}; LOST: no heartbeat for over "
                   f"{found.lost_after_seconds:g} s",
                   ("name", "executor", "host", "state", "runs", "workers", "version",
                    "drain"), whole=("name", "state"))
    for p in found.pools:
        drain = ", ".join(f"{what} {_ago(moment, now)}" for what, moment in (
            ("requested", p.drain_requested_at), ("accepted", p.drain_accepted_at))
            if moment is not None)
        table.add_row(escape(p.name), escape(p.executor), escape(p.host), _state(p.state),
                      str(p.active_runs), str(p.workers), escape(p.version), drain)
    console().print(table)


@workers.command("drain")
@_target_options
@click.option("--wait", is_flag=True,
              help="Wait until it is DRAINED (or a drained worker has exited), printing "
              "its progress; exit 1 if --timeout passes first.")
@click.option("--timeout", type=click.FloatRange(min=0), default=WAIT_TIMEOUT_SECONDS,
              show_default=True, metavar="SECONDS", help="How long --wait waits.")
@config_option
@server_options
@click.pass_context
def drain(ctx: click.Context, pool: str | None, worker: str | None, wait: bool,
          timeout: float, config_path: Path | None) -> None:
    """Drain a pool or a worker: it finishes the runs it has and takes no more.

    Its registrant sees the drain at its next heartbeat; it is DRAINING until then and
    while it still runs something, then DRAINED. It stays drained until `daggo workers
    resume` (or until its server restarts, as a new pool).
    """
    _one_target(pool, worker)
    if not wait and ctx.get_parameter_source("timeout") is not ParameterSource.DEFAULT:
        raise click.UsageError("--timeout is how long --wait waits: give --wait too")
    with command_services(ctx, config_path) as services:
        response = services.workers.drain(WorkersDrainRequest(worker=worker, pool=pool))
        shown = _line(response.pool, response.worker, pool or worker)
        console().print(shown, markup=False, soft_wrap=True)
        if wait:
            _wait_drained(services, pool, worker, timeout, shown)


@workers.command("resume")
@_target_options
@config_option
@server_options
@click.pass_context
def resume(ctx: click.Context, pool: str | None, worker: str | None,
           config_path: Path | None) -> None:
    """Resume a drained (or draining) pool or worker: it takes runs again from its
    registrant's next heartbeat."""
    _one_target(pool, worker)
    with command_services(ctx, config_path) as services:
        response = services.workers.resume(WorkersResumeRequest(worker=worker, pool=pool))
    console().print(_line(response.pool, response.worker, pool or worker), markup=False,
                    soft_wrap=True)


def _wait_drained(services: ServicesApi, pool: str | None, worker: str | None,
                  timeout: float, shown: str) -> None:
    """Read the target again every WAIT_POLL_SECONDS, printing each new state, until it
    is DRAINED; a ClickException naming it if `timeout` passes first, if it is resumed,
    LOST or (a pool) gone meanwhile. A worker whose row is gone has exited: drained."""
    what = f"pool {pool}" if pool is not None else f"worker {worker}"
    out = console()
    deadline = time.monotonic() + timeout
    while True:
        current: PoolSummary | WorkerSummary | None
        if pool is not None:
            current = next((p for p in services.workers.get_pools().pools
                            if p.name == pool), None)
        else:
            current = next((w for w in _all_workers(services)[0] if w.id == worker),
                           None)
        if current is None:
            if worker is not None:
                out.print(f"{what}: exited (its row is gone): drained", markup=False)
                return
            raise click.ClickException(
                f"{what} is gone from the registry before it showed DRAINED (its server or "
                "worker stopped): its workers may still run their runs (`daggo workers "
                "list` shows them)")
        line = _line(current, None) if isinstance(current, PoolSummary) \
            else _line(None, current)
        if line != shown:
            out.print(line, markup=False, soft_wrap=True)
            shown = line
        if current.state in (PoolStatus.DRAINED, WorkerStatus.DRAINED):
            return
        if current.drain_requested_at is None:
            raise click.ClickException(f"{what} was resumed while waiting for it to drain")
        if current.state in (PoolStatus.LOST, WorkerStatus.LOST):
            raise click.ClickException(
                f"{what} is LOST (no heartbeat for longer than the heartbeat timeout): its "
                "server or machine may be gone, and nothing is left to accept the drain")
        left = deadline - time.monotonic()
        if left <= 0:
            raise click.ClickException(
                f"{what} is not DRAINED after {timeout:g} s ({line}); it stays asked to "
                "drain: wait longer, or undo it with `daggo workers resume`")
        time.sleep(min(WAIT_POLL_SECONDS, left))


def _all_workers(services: ServicesApi) -> tuple[list[WorkerSummary], float]:
    """Every worker, page after page, and the heartbeat timeout past which one is LOST."""
    lost_after = 0.0

    def fetch(cursor: str | None, size: int) -> tuple[Sequence[WorkerSummary], str | None]:
        nonlocal lost_after
        page = services.workers.get_many(WorkersGetManyRequest(limit=size, cursor=cursor))
        lost_after = page.lost_after_seconds
        return page.workers, page.next_cursor

    return collect_pages(fetch, page_max=WORKERS_PAGE_MAX), lost_after


def _line(pool: PoolSummary | None, worker: WorkerSummary | None,
          target: str | None = None) -> str:
    """One line saying how a pool or a worker is now (`target`: the name asked about,
    said gone when neither is given)."""
    if pool is not None:
        return (f"pool {pool.name}: {pool.state}, {_count(pool.active_runs, 'active run')}, "
                f"{_count(pool.workers, 'worker')}")
    if worker is None:
        return f"{target}: gone from the registry (it exited, or its server stopped)"
    line = f"worker {worker.id}: {worker.state}"
    if worker.run_id and worker.state is not WorkerStatus.DRAINED:
        line += f", run {worker.run_id[:8]}" + (f" of {worker.job_name}"
                                                 if worker.job_name else "")
    if worker.drained_with_pool:
        line += f" (drained with its pool {worker.pool}: resume the pool)"
    return line


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _table(caption: str, columns: Sequence[str], whole: Collection[str]) -> Table:
    """A table whose `whole` columns (the names `drain` and `resume` take, states) are
    never wrapped, and whose other cells wrap rather than lose their ends."""
    table = Table(caption=caption)
    for column in columns:
        table.add_column(column, no_wrap=column in whole, overflow="fold")
    return table


def _state(state: str) -> str:
    style = _STYLES.get(str(state), "")
    return f"[{style}]{state}[/]" if style else str(state)


def _ago(moment: dt.datetime, now: dt.datetime) -> str:
    """How long ago `moment` was, coarsely (as read on this machine's clock)."""
    seconds = max(0, int((now - moment).total_seconds()))
    for size, unit in ((86_400, "d"), (3_600, "h"), (60, "min")):
        if seconds >= 2 * size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"
