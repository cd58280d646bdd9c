"""Schedule definitions declared on jobs in code, and their readable default keys."""

from __future__ import annotations

from typing import Any

from attrs import field, frozen

__all__ = ["ScheduleDefinition", "derive_schedule_key", "schedule_problems"]

_DAYS = {"0": "sun", "1": "mon", "2": "tue", "3": "wed", "4": "thu", "5": "fri", "6": "sat",
         "7": "sun"}


@frozen(kw_only=True)
class ScheduleDefinition:
    """A cron schedule of a job: `cron` evaluated in `timezone`.

    `key` identifies the schedule within its job (default: derived from `cron`, e.g.
    `every_15_minutes`); `enabled` is the default that the admin's toggle overrides.
    `params` and `tags` are given to every run the schedule launches.
    """

    cron: str
    timezone: str = "UTC"
    enabled: bool = True
    key: str | None = None
    params: dict[str, Any] = field(factory=dict)
    tags: dict[str, str] = field(factory=dict)

    @property
    def effective_key(self) -> str:
        return self.key or derive_schedule_key(self.cron)


def _two(value: str) -> str:
    return value.zfill(2)


def derive_schedule_key(cron: str) -> str:
    """A stable readable key for a cron expression (`daily_at_02_30`, `every_minute` …)."""
    if not isinstance(cron, str):
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


def schedule_problems(job_name: str, schedule: ScheduleDefinition) -> list[str]:
    """Why a schedule is invalid (bad cron expression, unknown timezone), if at all."""
    from croniter import croniter

    label = f"job {job_name!r} schedule {schedule.effective_key!r}"
    problems = []
    if not isinstance(schedule.cron, str) or not croniter.is_valid(schedule.cron):
        problems.append(f"{label}: invalid cron expression {schedule.cron!r}")
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(schedule.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        problems.append(f"{label}: unknown timezone {schedule.timezone!r} "
                        "(use an IANA name such as 'UTC' or 'Europe/Berlin')")
    return problems
