"""Schedule definitions declared on jobs in code, their policies and readable default keys."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from daggo_core.definitions.cron_fields import cron_field_problem

if TYPE_CHECKING:
    from daggo_core.definitions.snapshot import ScheduleSnapshot

__all__ = [
    "CatchUp",
    "Overlap",
    "ScheduleDefinition",
    "ScheduleParams",
    "derive_schedule_key",
    "schedule_problems",
    "schedule_snapshot",
]

_DAYS = {"0": "sun", "1": "mon", "2": "tue", "3": "wed", "4": "thu", "5": "fri", "6": "sat",
         "7": "sun"}

#: A schedule's run params: a mapping, or a function of the tick's scheduled time (aware,
#: in the schedule's timezone) returning one.
ScheduleParams = Mapping[str, Any] | Callable[[dt.datetime], Mapping[str, Any]]


class CatchUp(enum.StrEnum):
    """Which ticks missed while no scheduler was running are launched afterwards."""

    #: Only the most recent missed tick.
    LATEST = "latest"
    #: Every missed tick inside the schedule's `catch_up_window`, oldest first.
    ALL = "all"


class Overlap(enum.StrEnum):
    """What a tick does while the schedule's previous run is still queued or running."""

    #: Record the tick as skipped.
    SKIP = "skip"
    #: Keep one tick waiting and launch it when the previous run ends; skip further ones.
    BUFFER_ONE = "buffer_one"
    #: Keep every tick waiting and launch them one after another.
    BUFFER_ALL = "buffer_all"
    #: Cancel the running run and launch the new one.
    CANCEL_RUNNING = "cancel_running"
    #: Launch regardless: runs of the schedule may overlap.
    ALLOW = "allow"


def _to_catch_up(value: Any) -> Any:
    return _enum(CatchUp, value)


def _to_overlap(value: Any) -> Any:
    return _enum(Overlap, value)


@frozen(kw_only=True)
class ScheduleDefinition:
    """A cron schedule of a job: `cron` evaluated in `timezone` (DST-aware).

    `key` identifies the schedule within its job (default: derived from `cron`, e.g.
    `every_15_minutes`); `enabled` is the default that the Enabled toggle overrides.
    `params` (a mapping, or a function of the tick's time returning one) and `tags` are
    given to every run the schedule launches. `catch_up` decides which ticks missed while
    no scheduler ran are launched (`catch_up_window` bounds `CatchUp.ALL`); `overlap`
    decides what a tick does while the previous run is still going; with
    `pause_after_failures=N` the schedule disables itself after N failed runs in a row.
    """

    cron: str
    timezone: str = "UTC"
    enabled: bool = True
    key: str | None = None
    params: ScheduleParams = field(factory=dict)
    tags: Mapping[str, str] = field(factory=dict)
    catch_up: CatchUp = field(default=CatchUp.LATEST, converter=_to_catch_up)
    catch_up_window: dt.timedelta = dt.timedelta(hours=24)
    overlap: Overlap = field(default=Overlap.SKIP, converter=_to_overlap)
    pause_after_failures: int | None = None

    @property
    def effective_key(self) -> str:
        return self.key or derive_schedule_key(self.cron)

    def params_for(self, scheduled_for: dt.datetime) -> dict[str, Any]:
        """The params of the run launched for the tick at `scheduled_for`."""
        if callable(self.params):
            import zoneinfo  # here, not at import: zoneinfo costs a cold start ~5 ms

            return dict(self.params(scheduled_for.astimezone(zoneinfo.ZoneInfo(self.timezone))))
        return dict(self.params)


def _enum(kind: type[enum.StrEnum], value: Any) -> Any:
    """The member named by `value`, or `value` unchanged (reported at build time)."""
    try:
        return kind(value)
    except ValueError:
        return value


def _two(value: str) -> str:
    return value.zfill(2)


def derive_schedule_key(cron: str) -> str:
    """A stable readable key for a cron expression (`daily_at_02_30`, `every_minute` …)."""
    given: object = cron  # an app without type checking may give anything: reported later
    if not isinstance(given, str):
        return "cron"
    parts = cron.split()
    if len(parts) == 5:
        minute, hour, dom, month, dow = parts
        if parts == ["*"] * 5:
            return "every_minute"
        step = minute[2:] if minute.startswith("*/") else ""
        if step.isdigit() and [hour, dom, month, dow] == ["*"] * 4:
            return f"every_{step}_minutes"
        if minute.isdigit() and hour == "*" and [dom, month, dow] == ["*"] * 3:
            return "hourly" if minute == "0" else f"hourly_at_{_two(minute)}"
        if (minute.isdigit() and hour.startswith("*/") and hour[2:].isdigit()
                and [dom, month, dow] == ["*"] * 3):
            return f"every_{hour[2:]}_hours_at_{_two(minute)}"
        if minute.isdigit() and hour.isdigit():
            at = f"at_{_two(hour)}_{_two(minute)}"
            if [dom, month, dow] == ["*"] * 3:
                return f"daily_{at}"
            if dom == "*" and month == "*" and dow in _DAYS:
                return f"weekly_on_{_DAYS[dow]}_{at}"
            if dom == "*" and month == "*" and dow.lower() in _DAYS.values():
                return f"weekly_on_{dow.lower()}_{at}"
            if dom.isdigit() and month == "*" and dow == "*":
                return f"monthly_on_{dom}_{at}"
    alias = cron.strip().lstrip("@")
    if cron.strip().startswith("@") and alias.isascii() and alias.isalpha():
        return alias
    # ASCII only, so that the derived key is always a valid name.
    cleaned = "".join(
        ch if ch.isascii() and ch.isalnum() else "_" for ch in cron.replace("*", "x")
    )
    return "cron_" + "_".join(filter(None, cleaned.split("_")))


_ALIASES = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
                      "@hourly"})


def schedule_problems(job_name: str, schedule: ScheduleDefinition) -> list[str]:
    """Why a schedule is invalid (bad cron expression, timezone or policy), if at all."""
    import zoneinfo  # imported on first use: a job without schedules never pays for them

    from croniter import croniter

    label = f"job {job_name!r} schedule {schedule.effective_key!r}"
    problems = []
    cron = schedule.cron
    if not isinstance(cron, str) or not (
        (len(cron.split()) == 5 or cron.strip() in _ALIASES) and croniter.is_valid(cron)
    ):
        out_of_range = cron_field_problem(cron) if isinstance(cron, str) else None
        problems.append(f"{label}: invalid cron expression {cron!r}: {out_of_range}"
                        if out_of_range else
                        f"{label}: invalid cron expression {cron!r} (use five fields, "
                        "'minute hour day-of-month month day-of-week', or @hourly/@daily/...)")
    elif not _ever_fires(cron):
        problems.append(f"{label}: cron expression {cron!r} matches no date (e.g. February 31)")
    try:
        zoneinfo.ZoneInfo(schedule.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        problems.append(f"{label}: unknown timezone {schedule.timezone!r} "
                        "(use an IANA name such as 'UTC' or 'Europe/Berlin')")
    for name, kind in (("catch_up", CatchUp), ("overlap", Overlap)):
        value = getattr(schedule, name)
        if not isinstance(value, kind):
            choices = ", ".join(repr(m.value) for m in kind)
            problems.append(f"{label}: {name} must be one of {choices}, got {value!r}")
    window = schedule.catch_up_window
    if not isinstance(window, dt.timedelta) or window <= dt.timedelta(0):
        problems.append(f"{label}: catch_up_window must be a positive datetime.timedelta, "
                        f"got {window!r}")
    pause = schedule.pause_after_failures
    if pause is not None and (type(pause) is not int or pause < 1):
        problems.append(f"{label}: pause_after_failures must be an integer >= 1 or None, "
                        f"got {pause!r}")
    params: object = schedule.params  # as given: an app without type checking may give anything
    if not (callable(params) or isinstance(params, Mapping)):
        problems.append(f"{label}: params must be a mapping or a function of the tick time, "
                        f"got {type(params).__name__}")
    if not isinstance(schedule.tags, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in schedule.tags.items()
    ):
        problems.append(f"{label}: tags must map strings to strings, got {schedule.tags!r}")
    return problems


def schedule_snapshot(schedule: ScheduleDefinition) -> ScheduleSnapshot:
    """What storage keeps of a schedule, with its job's snapshot."""
    from daggo_core.definitions.snapshot import ScheduleSnapshot

    return ScheduleSnapshot(
        key=schedule.effective_key,
        cron=schedule.cron,
        timezone=schedule.timezone,
        enabled=schedule.enabled,
        catch_up=schedule.catch_up,
        catch_up_window_seconds=schedule.catch_up_window.total_seconds(),
        overlap=schedule.overlap,
        pause_after_failures=schedule.pause_after_failures,
        tags=dict(schedule.tags),
    )


def _ever_fires(cron: str) -> bool:
    from croniter import CroniterBadDateError, croniter

    try:
        croniter(cron, dt.datetime(2000, 1, 1, tzinfo=dt.UTC)).get_next(dt.datetime)
    except CroniterBadDateError:
        return False
    return True
