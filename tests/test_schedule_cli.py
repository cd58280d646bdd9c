"""`daggo schedule list | enable | disable | ticks` and `runs show` of scheduled runs, via
CliRunner against a SQLite database whose state is arranged through the real services."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen
from click.testing import CliRunner, Result

from daggo_core import Context, Definitions, NoInput, dag
from daggo_core.cli.main import cli
from daggo_core.definitions.jobs import JobDefinition
from daggo_core.plugins import Hooks, make_plugin_manager
from daggo_core.scheduling.scheduler import Scheduler
from daggo_core.services.schedules import SchedulesGetManyRequest, ScheduleSummary
from daggo_core.services.sync import sync_definitions
from daggo_core.storage.base import RunFilter, Storage
from daggo_core.storage.records import TickStatus
from daggo_core.testing.clock import ManualClock
from daggo_core.testing.services import launch, services_over
from daggo_sqlite.testing import database_config

T0 = dt.datetime(2026, 6, 1, 10, 0, 30, tzinfo=dt.UTC)
#: A bookkeeping cursor far ahead of the real clock, so `next tick` is deterministic.
FUTURE = dt.datetime(2090, 6, 1, 10, 0, 30, tzinfo=dt.UTC)


@frozen
class Done:
    ok: bool


@frozen
class Params:
    day: str = ""


def work(ctx: Context, inp: NoInput) -> Done:
    return Done(True)


def make_job(name: str, *schedules: dict[str, Any], params_type: type | None = None
             ) -> JobDefinition:
    """A one-op job with the given schedules (keyword dicts for `JobBuilder.schedule`)."""
    builder = dag.job(name, params=params_type).add(dag.op("work", work))
    for schedule in schedules:
        builder = builder.schedule(**schedule)
    return builder.build()


def list_schedules(storage: Storage, job: str | None = None) -> tuple[ScheduleSummary, ...]:
    return services_over(storage).schedules.get_many(SchedulesGetManyRequest(job=job)).schedules


class Env:
    """A SQLite database under tmp_path, its daggo.toml, and a CLI runner on both."""

    def __init__(self, tmp_path: Path, hooks: Hooks) -> None:
        self.db_path = tmp_path / "db" / "daggo.sqlite"
        self.config = tmp_path / "daggo.toml"
        self.config.write_text('[database]\ndriver = "sqlite"\n\n[database.sqlite]\n'
                               'path = "db/daggo.sqlite"\n')
        self.hooks = hooks
        self.opened: list[Storage] = []

    def open(self) -> Storage:
        """A fresh storage on the test's database (closed after the test)."""
        database = database_config(self.db_path)
        storage = self.hooks.storage_backend("sqlite").open(database)
        self.opened.append(storage)
        return storage

    def deploy(self, *jobs: JobDefinition, clock: ManualClock | None = None) -> Scheduler:
        """Sync `jobs` and their schedules like a deploy; a scheduler on them at `clock`."""
        storage = self.open()
        definitions = Definitions(jobs=list(jobs))
        sync_definitions(storage, definitions)
        return Scheduler(storage, definitions.jobs_by_name, clock=clock or ManualClock(T0))

    def daggo(self, *args: str) -> Result:
        """`daggo ARGS --config daggo.toml`, with no DAGGO_* overrides from the environment."""
        env = {"DAGGO_DATABASE_DRIVER": None, "DAGGO_SQLITE_PATH": None, "COLUMNS": None}
        return CliRunner().invoke(cli, [*args, "--config", str(self.config)], obj=self.hooks,
                                  env=env)


@pytest.fixture(scope="module")
def hooks() -> Hooks:
    return make_plugin_manager()


@pytest.fixture
def env(tmp_path: Path, hooks: Hooks) -> Iterator[Env]:
    environment = Env(tmp_path, hooks)
    try:
        yield environment
    finally:
        for storage in environment.opened:
            storage.close()


def ok(result: Result) -> str:
    """The output of a command that must have succeeded."""
    assert result.exit_code == 0, result.output
    return result.output


def cells(line: str) -> list[str]:
    """The cells of one line of a Rich table (header or body)."""
    return [c.strip() for c in re.split("[│┃]", line.strip().strip("│┃"))]


def header(output: str) -> list[str]:
    """The column titles of the table in `output`."""
    [line] = [line for line in output.splitlines() if line.startswith("┃")]
    return cells(line)


def table_rows(output: str) -> list[list[str]]:
    """The body rows of the table in `output`, wrapped cells joined back with spaces
    (a line whose first cell is empty continues the row above)."""
    rows: list[list[str]] = []
    for line in output.splitlines():
        if not line.startswith("│"):
            continue
        parts = cells(line)
        if parts[0] or not rows:
            rows.append(parts)
        else:
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], parts, strict=True)]
    return rows


def squeeze(text: str) -> str:
    """`text` without whitespace (table cells wrap at arbitrary points)."""
    return "".join(text.split())


def row(output: str, column: int, value: str) -> list[str]:
    """The one body row whose cell `column` is `value`."""
    [found] = [r for r in table_rows(output) if r[column] == value]
    return found


# -- list ------------------------------------------------------------------------------------


def test_list_shows_job_key_cron_timezone_state_and_next_tick(env: Env) -> None:
    scheduler = env.deploy(
        make_job("sync", {"cron": "*/15 * * * *"}),
        make_job("report", {"cron": "30 2 * * *", "timezone": "Europe/Berlin", "key": "nightly"},
                 {"cron": "0 9 * * *", "timezone": "Asia/Kolkata", "key": "morning",
                  "enabled": False}),
        clock=ManualClock(FUTURE),
    )
    scheduler.tick()  # starts the bookkeeping at FUTURE: next ticks are after it
    output = ok(env.daggo("schedule", "list"))
    assert "times in UTC" in output
    assert header(output) == ["job", "key", "cron", "timezone", "enabled", "overlap",
                              "last tick", "next tick"]
    rows = table_rows(output)
    assert len(rows) == 3
    assert row(output, 1, "nightly") == [
        "report", "nightly", "30 2 * * *", "Europe/Berlin", "on", "skip",
        "2090-06-01 10:00:30", "2090-06-02 00:30:00"]
    assert row(output, 1, "morning") == [
        "report", "morning", "0 9 * * *", "Asia/Kolkata", "off", "skip",
        "2090-06-01 10:00:30", ""]
    assert row(output, 1, "every_15_minutes") == [
        "sync", "every_15_minutes", "*/15 * * * *", "UTC", "on", "skip",
        "2090-06-01 10:00:30", "2090-06-01 10:15:00"]
    assert [r[0] for r in rows] == ["report", "report", "sync"]  # by job name


def test_list_of_one_job_and_a_toggled_schedule(env: Env) -> None:
    env.deploy(make_job("report", {"cron": "0 9 * * *", "timezone": "Asia/Kolkata"}),
               make_job("sync", {"cron": "*/15 * * * *"}))
    assert ok(env.daggo("schedule", "disable", "report")) == (
        "schedule daily_at_09_00 of report disabled\n")
    output = ok(env.daggo("schedule", "list", "--job", "report"))
    [line] = table_rows(output)
    assert line == ["report", "daily_at_09_00", "0 9 * * *", "Asia/Kolkata", "off (toggled)",
                    "skip", "", ""]  # never ticked; disabled: no next tick


def test_list_next_tick_of_a_half_hour_offset_timezone_is_in_utc(env: Env) -> None:
    env.deploy(make_job("report", {"cron": "0 9 * * *", "timezone": "Asia/Kolkata"}))
    next_tick = row(ok(env.daggo("schedule", "list")), 1, "daily_at_09_00")[-1]
    assert next_tick.endswith(" 03:30:00")
    assert dt.datetime.fromisoformat(next_tick + "+00:00") > dt.datetime.now(dt.UTC)


# -- enable / disable ------------------------------------------------------------------------


def test_disable_one_schedule_stores_the_override(env: Env) -> None:
    env.deploy(make_job("report", {"cron": "0 * * * *", "key": "hourly"},
                        {"cron": "0 0 * * *", "key": "daily"}))
    assert ok(env.daggo("schedule", "disable", "report", "hourly")) == (
        "schedule hourly of report disabled\n")
    views = {v.key: v for v in list_schedules(env.open(), "report")}
    assert (views["hourly"].enabled, views["hourly"].enabled_override) == (False, False)
    assert (views["daily"].enabled, views["daily"].enabled_override) == (True, None)
    assert views["hourly"].next_tick_at is None


def test_enable_without_key_enables_every_schedule_of_the_job(env: Env) -> None:
    env.deploy(make_job("report", {"cron": "0 * * * *", "key": "hourly", "enabled": False},
                        {"cron": "0 0 * * *", "key": "daily"}),
               make_job("other", {"cron": "0 0 * * *", "key": "daily", "enabled": False}))
    ok(env.daggo("schedule", "disable", "report", "daily"))
    output = ok(env.daggo("schedule", "enable", "report"))
    assert sorted(output.splitlines()) == ["schedule daily of report enabled",
                                           "schedule hourly of report enabled"]
    storage = env.open()
    assert {(v.key, v.enabled, v.enabled_override) for v in list_schedules(storage, "report")} == {
        ("hourly", True, True), ("daily", True, True)}
    [other] = list_schedules(storage, "other")
    assert (other.enabled, other.enabled_override) == (False, None)


def test_disable_then_enable_round_trips(env: Env) -> None:
    env.deploy(make_job("report", {"cron": "0 * * * *", "key": "hourly"}))
    ok(env.daggo("schedule", "disable", "report"))
    assert [v.enabled for v in list_schedules(env.open())] == [False]
    assert ok(env.daggo("schedule", "enable", "report", "hourly")) == (
        "schedule hourly of report enabled\n")
    assert [(v.enabled, v.enabled_override) for v in list_schedules(env.open())] == [(True, True)]


def test_reset_returns_a_toggled_schedule_to_its_default_in_code(env: Env) -> None:
    env.deploy(make_job("report", {"cron": "0 * * * *", "key": "hourly", "enabled": False}))
    ok(env.daggo("schedule", "enable", "report"))
    assert ok(env.daggo("schedule", "reset", "report", "hourly")) == (
        "schedule hourly of report back to its default in code (disabled)\n")
    assert [(v.enabled, v.enabled_override) for v in list_schedules(env.open())] == [
        (False, None)]


@pytest.mark.parametrize("command", ["enable", "disable", "reset", "ticks"])
def test_unknown_key_fails_naming_the_known_keys(env: Env, command: str) -> None:
    env.deploy(make_job("report", {"cron": "0 * * * *", "key": "hourly"},
                        {"cron": "0 0 * * *", "key": "daily"}))
    result = env.daggo("schedule", command, "report", "weekly")
    assert result.exit_code == 1
    assert "job 'report' has no schedule 'weekly' (its schedules: hourly, daily)" in result.output
    assert [v.enabled_override for v in list_schedules(env.open())] == [None, None]


@pytest.mark.parametrize("args", [["list", "--job", "nope"], ["enable", "nope"],
                                  ["disable", "nope", "hourly"], ["ticks", "nope"],
                                  ["ticks", "nope", "hourly"]])
def test_unknown_job_fails_naming_the_known_jobs(env: Env, args: list[str]) -> None:
    env.deploy(make_job("report", {"cron": "0 * * * *", "key": "hourly"}),
               make_job("sync", {"cron": "0 0 * * *"}))
    result = env.daggo("schedule", *args)
    assert result.exit_code == 1
    assert "no job named 'nope' (known jobs: report, sync)" in result.output


@pytest.mark.parametrize("args", [["enable", "plain"], ["disable", "plain", "hourly"],
                                  ["ticks", "plain", "hourly"]])
def test_job_without_schedules_is_a_clear_error(env: Env, args: list[str]) -> None:
    env.deploy(make_job("plain"), make_job("report", {"cron": "0 * * * *", "key": "hourly"}))
    result = env.daggo("schedule", *args)
    assert result.exit_code == 1
    assert "job 'plain' has no schedules" in result.output
    assert "Traceback" not in result.output


# -- ticks -----------------------------------------------------------------------------------


def launched_and_skipped(env: Env) -> Scheduler:
    """`report`/`minutely`: tick 10:01 LAUNCHED (run left queued), 10:02 SKIPPED (overlap)."""
    clock = ManualClock(T0)
    scheduler = env.deploy(make_job("report", {"cron": "* * * * *", "key": "minutely",
                                               "overlap": "skip"}), clock=clock)
    assert scheduler.tick() == []
    clock.advance(seconds=30)
    [launched] = scheduler.tick()
    clock.advance(minutes=1)
    [skipped] = scheduler.tick()
    assert (launched.status, skipped.status) == (TickStatus.LAUNCHED, TickStatus.SKIPPED)
    return scheduler


def test_ticks_lists_newest_first_with_status_run_and_reason(env: Env) -> None:
    scheduler = launched_and_skipped(env)
    [run] = scheduler.storage.list_runs(RunFilter(job_name="report"), limit=10)
    [skipped, launched] = env.open().list_ticks("report", "minutely", limit=10)
    assert launched.run_id == run.id
    output = ok(env.daggo("schedule", "ticks", "report", "minutely"))
    assert "2 tick(s), newest first; times in UTC" in output
    assert header(output) == ["key", "scheduled for", "status", "run", "reason"]
    newest, oldest = table_rows(output)
    assert newest[:4] == ["minutely", "2026-06-01 10:02:00", "SKIPPED", ""]
    expected = f"run {run.id} of this schedule is still going (overlap=skip)"
    assert skipped.reason == expected
    assert squeeze(newest[4]) == squeeze(expected)
    assert oldest == ["minutely", "2026-06-01 10:01:00", "LAUNCHED", run.id, ""]
    # without a key: every schedule of the job; --limit keeps the newest
    limited = ok(env.daggo("schedule", "ticks", "report", "--limit", "1"))
    assert "1 tick(s), newest first" in limited
    assert [r[:3] for r in table_rows(limited)] == [["minutely", "2026-06-01 10:02:00",
                                                     "SKIPPED"]]


def test_ticks_prints_reasons_with_square_brackets_literally(env: Env) -> None:
    def missing(when: dt.datetime) -> dict[str, str]:
        raise KeyError(["x"])

    def marked_up(when: dt.datetime) -> dict[str, str]:
        raise ValueError("needs [bold]upstream[/bold] and [x]")

    clock = ManualClock(T0)
    scheduler = env.deploy(make_job("report", {"cron": "* * * * *", "key": "a", "params": missing},
                                    {"cron": "* * * * *", "key": "b", "params": marked_up},
                                    params_type=Params), clock=clock)
    scheduler.tick()
    clock.advance(seconds=30)
    assert {t.status for t in scheduler.tick()} == {TickStatus.FAILED}
    [a_row] = table_rows(ok(env.daggo("schedule", "ticks", "report", "a")))
    assert a_row == ["a", "2026-06-01 10:01:00", "FAILED", "",
                     "could not prepare the run: KeyError: ['x']"]
    [b_row] = table_rows(ok(env.daggo("schedule", "ticks", "report", "b")))
    assert b_row[2:] == ["FAILED", "", "could not prepare the run: ValueError: needs "
                                       "[bold]upstream[/bold] and [x]"]


def test_ticks_of_a_job_with_none_yet(env: Env) -> None:
    env.deploy(make_job("report", {"cron": "0 * * * *", "key": "hourly"}))
    output = ok(env.daggo("schedule", "ticks", "report", "hourly"))
    assert "0 tick(s), newest first" in output


# -- runs show -------------------------------------------------------------------------------


def test_runs_show_of_a_scheduled_run_names_schedule_and_tick_time(env: Env) -> None:
    scheduler = launched_and_skipped(env)
    [run] = scheduler.storage.list_runs(RunFilter(job_name="report"), limit=10)
    output = ok(env.daggo("runs", "show", run.id))
    assert "launched by schedule minutely for 2026-06-01T10:01:00+00:00" in output


def test_runs_show_of_a_manual_run_does_not_mention_a_schedule(env: Env) -> None:
    env.deploy(make_job("report", {"cron": "0 * * * *", "key": "hourly"}))
    run = launch(env.open(), "report")
    output = ok(env.daggo("runs", "show", run.id))
    assert "launched by schedule" not in output
