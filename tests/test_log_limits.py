"""Captured output is capped per line and per run, and says so where it is read."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from attrs import frozen

import daggo_core
from daggo_core import Context, NoInput, dag
from daggo_core.cli.worker_cmd import worker_command_for
from daggo_core.config import load_config
from daggo_core.execution.local import start_run
from daggo_core.execution.log_limits import LogLimits
from daggo_core.execution.run_worker import RunWorker
from daggo_core.services.runs import RunsGetRequest
from daggo_core.storage.base import Storage
from daggo_core.storage.records import Event, EventKind, Run, RunStatus
from daggo_core.testing.processes import wait_for
from daggo_core.testing.services import services_over

LINE, RUN = 1024, 4096
NOTICE = "bytes cut: lines are kept up to 1,024 bytes, raise execution.max_log_line_bytes"


@frozen
class Done:
    ok: bool


def capped(job: daggo_core.JobDefinition, storage: Storage) -> tuple[Run, list[Event]]:
    run, _ = start_run(job, None, storage)
    final = RunWorker(job, run, storage,
                      log_limits=LogLimits(max_line_bytes=LINE, max_run_bytes=RUN)).execute()
    return final, storage.list_events(run.id)


def lines(events: list[Event]) -> list[str]:
    return [e.message for e in events if e.kind is EventKind.LOG]


def one_op(fn: object) -> daggo_core.JobDefinition:
    return dag.job("talk").add(dag.op("talk", fn)).build()  # type: ignore[arg-type]


def test_a_long_printed_line_is_cut_with_a_notice_of_the_bytes_dropped(
    storage: Storage,
) -> None:
    def shout(ctx: Context, inp: NoInput) -> Done:
        print("x" * 50_000)
        print("short")
        return Done(True)

    final, events = capped(one_op(shout), storage)
    assert final.status is RunStatus.SUCCESS
    cut, short = lines(events)
    assert cut == "x" * LINE + f" [… {50_000 - LINE:,} {NOTICE} to keep more]"
    assert short == "short"


def test_a_line_printed_in_pieces_is_cut_once_it_passes_the_cap(storage: Storage) -> None:
    def dribble(ctx: Context, inp: NoInput) -> Done:
        for _ in range(3000):
            sys.stdout.write("abcd")
        sys.stdout.write("\n")
        sys.stderr.write("é" * 600)  # 1,200 bytes, never terminated: flushed at the end
        return Done(True)

    _, events = capped(one_op(dribble), storage)
    out, err = [e for e in events if e.kind is EventKind.LOG]
    assert (out.level, out.message) == ("STDOUT", "abcd" * 256 + f" [… 10,976 {NOTICE} to keep "
                                                               "more]")
    assert (err.level, err.message) == ("STDERR", "é" * 512 + f" [… 176 {NOTICE} to keep more]")


def test_a_cut_never_splits_a_character(storage: Storage) -> None:
    def wide(ctx: Context, inp: NoInput) -> Done:
        print("ab" + "€" * 400)  # 2 + 1,200 bytes; byte 1,024 is inside the 341st euro
        return Done(True)

    _, events = capped(one_op(wide), storage)
    [line] = lines(events)
    assert line.startswith("ab" + "€" * 340 + " [… 180 bytes cut")


def test_log_records_and_ctx_log_are_cut_too(storage: Storage) -> None:
    user_log = logging.getLogger("user.code")

    def loud(ctx: Context, inp: NoInput) -> Done:
        user_log.warning("w" * 2000)
        ctx.log.info("i" * 3000, blob="b" * 5000, rows=3)
        ctx.log.info("small data", rows=3)
        return Done(True)

    _, events = capped(one_op(loud), storage)
    warned, info, small = [e for e in events if e.kind is EventKind.LOG]
    assert warned.level == "WARNING" and warned.message.endswith(f"976 {NOTICE} to keep more]")
    assert info.message.startswith("i" * LINE + " [… 1,976 bytes cut")
    assert info.data == {"cut": "log data of 5,023 bytes dropped: over "
                                "execution.max_log_line_bytes (1,024)"}
    assert small.data == {"rows": 3}


def test_past_the_run_cap_lines_are_dropped_and_one_event_says_so(storage: Storage) -> None:
    async def chatty(ctx: Context, inp: NoInput) -> Done:
        for i in range(100):
            print(f"{ctx.op_name} line {i:03} " + "." * 89)  # 100 bytes a line
            await asyncio.sleep(0)
        return Done(True)

    job = dag.job("chatty").add(dag.op("a", chatty), dag.op("b", chatty)).build()
    final, events = capped(job, storage)
    stored = lines(events)
    assert len(stored) == 40 and sum(map(len, stored)) == 4000
    [notice] = [e for e in events if e.kind is EventKind.LOG_LIMIT_REACHED]
    assert notice.level == "WARNING"
    assert notice.message == (
        "captured output limit reached: this run stored 4,000 bytes of log lines and may keep "
        "4,096; this line (100 bytes) and every later one are dropped. Raise "
        "execution.max_run_log_bytes to keep more")
    # Steps go on: only their output is dropped, and the run's end says how much.
    assert final.status is RunStatus.SUCCESS
    assert events[-1].kind is EventKind.RUN_SUCCESS
    assert events[-1].message == ("run succeeded (160 log lines, 16,000 bytes, dropped over "
                                  "execution.max_run_log_bytes)")
    assert events[-1].data == {"log_lines_dropped": 160, "log_bytes_dropped": 16_000,
                               "max_run_log_bytes": RUN}
    detail = services_over(storage).runs.get(RunsGetRequest(run_id=final.id))
    assert detail.log_notice == (
        "captured output limit reached: 160 log lines (16,000 bytes) were dropped after "
        "keeping 4,096 bytes; raise execution.max_run_log_bytes to keep more")


def test_a_run_within_its_caps_keeps_every_line_untouched(storage: Storage) -> None:
    def fine(ctx: Context, inp: NoInput) -> Done:
        print("€" * 256)  # exactly the cap in characters, 768 bytes: no cut
        return Done(True)

    _, events = capped(one_op(fine), storage)
    assert lines(events) == ["€" * 256]
    assert events[-1].message == "run succeeded" and events[-1].data == {}
    assert services_over(storage).runs.get(RunsGetRequest(run_id=events[-1].run_id)
                                           ).log_notice is None


# -- where the notices are read: a real worker, the CLI and the run page ---------------


@pytest.fixture
def app(worker_env: SimpleNamespace, monkeypatch: pytest.MonkeyPatch,
        apps: Callable[..., daggo_core.DaggoApp]) -> daggo_core.DaggoApp:
    """An app whose workers (and CLI commands) read these caps from the environment."""
    monkeypatch.setenv("DAGGO_EXECUTION_MAX_LOG_LINE_BYTES", str(LINE))
    monkeypatch.setenv("DAGGO_EXECUTION_MAX_RUN_LOG_BYTES", str(RUN))
    opened = apps(load_config(), worker_env.defs)
    opened.worker_command = worker_command_for(None, None, "app.py")
    opened.start_execution()
    return opened


def daggo(env: SimpleNamespace, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "daggo_core.cli.main", *args], cwd=env.tmp,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_worker_process_applies_the_configured_caps_and_every_view_shows_them(
    app: daggo_core.DaggoApp, worker_env: SimpleNamespace,
) -> None:
    env = worker_env
    assert app.coordinator is not None
    run = app.launch("loud_job")
    app.coordinator.dispatch_once()

    def ended() -> Run | None:
        current = env.storage.get_run(run.id)
        return current if current.is_finished else None

    final = wait_for(ended, 30, "the loud run to end")
    assert final.status is RunStatus.SUCCESS
    events = env.storage.list_events(run.id)
    big = next(e for e in events if e.kind is EventKind.LOG)
    assert len(big.message.encode()) < LINE + 200  # not 5 MB
    assert f"[… {5_000_000 - LINE:,} bytes cut" in big.message
    assert any(e.kind is EventKind.LOG_LIMIT_REACHED for e in events)

    logs = daggo(env, "runs", "logs", run.id)
    assert f"{5_000_000 - LINE:,} bytes cut" in logs
    assert "captured output limit reached" in logs
    assert "dropped over execution.max_run_log_bytes" in logs
    shown = daggo(env, "runs", "show", run.id)
    # The 5 MB line, cut, and 29 lines of 100 bytes fit in 4,096 bytes; 21 lines did not.
    assert "log: captured output limit reached: 21 log lines (2,100 bytes) were dropped" in shown
    assert "raise execution.max_run_log_bytes to keep more" in shown

    async def page() -> str:
        response = await app.asgi.test_client().get(f"/runs/{run.id}")
        assert response.status_code == 200
        return await response.get_data(as_text=True)

    html = asyncio.run(page())
    assert f"{5_000_000 - LINE:,} bytes cut" in html
    assert html.count("captured output limit reached") == 2  # the notice and its event
    assert "dropped over execution.max_run_log_bytes" in html
    assert len(html) < 100_000

