"""CronClock: cron ticks in a timezone as aware UTC instants, across DST changes (no storage)."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

import pytest

from daggo_core.scheduling.cron import CronClock

UTC = dt.UTC
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")

#: Europe/Berlin's 2026 changes: 02:00 CET -> 03:00 CEST, and 03:00 CEST -> 02:00 CET.
SPRING_FORWARD = dt.date(2026, 3, 29)
FALL_BACK = dt.date(2026, 10, 25)


def utc(*fields: int) -> dt.datetime:
    """An aware UTC datetime."""
    return dt.datetime(*fields, tzinfo=UTC)


def local_midnight(day: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant `day` begins in `tz`, in UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(UTC)


def ticks_on(cron: str, tz: zoneinfo.ZoneInfo, day: dt.date) -> list[dt.datetime]:
    """Every tick of `cron` during the local calendar day `day` (midnight included)."""
    start = local_midnight(day, tz)
    end = local_midnight(day + dt.timedelta(days=1), tz)
    ticks = CronClock(cron, tz.key).ticks_between(start - dt.timedelta(microseconds=1),
                                                  end - dt.timedelta(microseconds=1))
    assert all(start <= t < end for t in ticks)
    return ticks


def assert_utc_and_increasing(ticks: list[dt.datetime]) -> None:
    """Ticks are aware UTC datetimes, strictly increasing."""
    assert all(t.tzinfo is UTC for t in ticks)
    assert all(a < b for a, b in itertools.pairwise(ticks))


def local_times(ticks: list[dt.datetime], tz: zoneinfo.ZoneInfo) -> list[tuple[str, str]]:
    """(wall time, UTC offset) of each tick in `tz`."""
    return [(t.astimezone(tz).strftime("%H:%M"), t.astimezone(tz).strftime("%z")) for t in ticks]


# -- daily schedules -------------------------------------------------------------------------


def test_daily_0230_berlin_ticks_once_per_local_date_of_2026() -> None:
    start = local_midnight(dt.date(2026, 1, 1), BERLIN)
    end = local_midnight(dt.date(2027, 1, 1), BERLIN)
    ticks = CronClock("30 2 * * *", "Europe/Berlin").ticks_between(start, end)
    assert_utc_and_increasing(ticks)
    dates = [t.astimezone(BERLIN).date() for t in ticks]
    assert len(ticks) == 365
    assert len(set(dates)) == 365
    assert dates[0] == dt.date(2026, 1, 1) and dates[-1] == dt.date(2026, 12, 31)
    by_date = dict(zip(dates, ticks, strict=True))
    # 02:30 does not exist on the spring-forward day: the tick fires at 03:00 CEST.
    assert by_date[SPRING_FORWARD] == utc(2026, 3, 29, 1, 0)
    assert local_times([by_date[SPRING_FORWARD]], BERLIN) == [("03:00", "+0200")]
    # 02:30 happens twice on the fall-back day: only the first (CEST) fires.
    assert by_date[FALL_BACK] == utc(2026, 10, 25, 0, 30)
    others = [t for d, t in by_date.items() if d != SPRING_FORWARD]
    assert {t.astimezone(BERLIN).strftime("%H:%M") for t in others} == {"02:30"}
    assert by_date[dt.date(2026, 1, 15)] == utc(2026, 1, 15, 1, 30)  # CET
    assert by_date[dt.date(2026, 7, 15)] == utc(2026, 7, 15, 0, 30)  # CEST


def test_daily_0130_new_york_fires_once_on_fall_back_day_at_the_edt_occurrence() -> None:
    ticks = ticks_on("30 1 * * *", NEW_YORK, dt.date(2026, 11, 1))
    assert ticks == [utc(2026, 11, 1, 5, 30)]
    assert local_times(ticks, NEW_YORK) == [("01:30", "-0400")]
    # The next one is the following day's 01:30 EST, not the repeated 01:30 EST at 06:30 UTC.
    clock = CronClock("30 1 * * *", "America/New_York")
    assert clock.next_after(ticks[0]) == utc(2026, 11, 2, 6, 30)


def test_daily_schedule_in_a_half_hour_offset_timezone() -> None:
    clock = CronClock("0 9 * * *", "Asia/Kolkata")
    assert clock.next_after(utc(2026, 1, 1)) == utc(2026, 1, 1, 3, 30)
    assert clock.ticks_between(utc(2026, 1, 1), utc(2026, 1, 3, 23)) == [
        utc(2026, 1, 1, 3, 30), utc(2026, 1, 2, 3, 30), utc(2026, 1, 3, 3, 30)]
    # Inside the local day, after 09:00 IST: the next local day's 09:00.
    assert clock.next_after(utc(2026, 1, 1, 3, 30)) == utc(2026, 1, 2, 3, 30)
    assert local_times([utc(2026, 1, 2, 3, 30)], KOLKATA) == [("09:00", "+0530")]


def test_utc_schedules_are_unaffected_by_european_and_american_dst_days() -> None:
    for day in (SPRING_FORWARD, FALL_BACK, dt.date(2026, 3, 8), dt.date(2026, 11, 1)):
        start = dt.datetime.combine(day, dt.time(), tzinfo=UTC)
        hourly = CronClock("0 * * * *", "UTC").ticks_between(
            start - dt.timedelta(seconds=1), start + dt.timedelta(hours=23, minutes=59))
        assert hourly == [start + dt.timedelta(hours=h) for h in range(24)]
        daily = CronClock("30 2 * * *", "UTC").ticks_between(start, start + dt.timedelta(days=1))
        assert daily == [start + dt.timedelta(hours=2, minutes=30)]
        assert_utc_and_increasing(hourly)


# -- sub-daily schedules on DST days ---------------------------------------------------------


@pytest.mark.parametrize(("cron", "per_hour"), [("*/15 * * * *", 4), ("0 * * * *", 1)])
def test_sub_daily_schedule_on_the_23_hour_spring_forward_day(cron: str, per_hour: int) -> None:
    ticks = ticks_on(cron, BERLIN, SPRING_FORWARD)
    assert len(ticks) == 23 * per_hour
    assert_utc_and_increasing(ticks)
    step = dt.timedelta(minutes=60 // per_hour)
    assert all(b - a == step for a, b in itertools.pairwise(ticks))
    walls = [wall for wall, _ in local_times(ticks, BERLIN)]
    assert not any(wall.startswith("02:") for wall in walls)  # the skipped hour
    assert walls[:2 * per_hour + 1][-1] == "03:00"
    assert ticks[0] == utc(2026, 3, 28, 23, 0)


@pytest.mark.parametrize(("cron", "per_hour"), [("*/15 * * * *", 4), ("0 * * * *", 1)])
def test_sub_daily_schedule_on_the_25_hour_fall_back_day_fires_in_both_repeated_hours(
    cron: str, per_hour: int,
) -> None:
    ticks = ticks_on(cron, BERLIN, FALL_BACK)
    assert len(ticks) == 25 * per_hour
    assert_utc_and_increasing(ticks)
    step = dt.timedelta(minutes=60 // per_hour)
    assert all(b - a == step for a, b in itertools.pairwise(ticks))
    repeated = [(wall, offset) for wall, offset in local_times(ticks, BERLIN)
                if wall.startswith("02:")]
    minutes = [f"02:{m:02d}" for m in range(0, 60, 60 // per_hour)]
    assert repeated == [(m, "+0200") for m in minutes] + [(m, "+0100") for m in minutes]
    assert ticks[0] == utc(2026, 10, 24, 22, 0)


# -- window and next-tick semantics ----------------------------------------------------------


def test_ticks_between_excludes_after_and_includes_until() -> None:
    clock = CronClock("0 * * * *", "UTC")
    assert clock.ticks_between(utc(2026, 6, 1, 10), utc(2026, 6, 1, 12)) == [
        utc(2026, 6, 1, 11), utc(2026, 6, 1, 12)]
    assert clock.ticks_between(utc(2026, 6, 1, 9, 59), utc(2026, 6, 1, 10)) == [
        utc(2026, 6, 1, 10)]
    assert clock.ticks_between(utc(2026, 6, 1, 10), utc(2026, 6, 1, 10, 59)) == []
    assert clock.ticks_between(utc(2026, 6, 1, 10), utc(2026, 6, 1, 10)) == []


def test_next_after_is_strictly_after_and_accepts_any_aware_datetime() -> None:
    clock = CronClock("30 2 * * *", "Europe/Berlin")
    tick = utc(2026, 6, 1, 0, 30)
    assert clock.next_after(tick) == utc(2026, 6, 2, 0, 30)
    assert clock.next_after(tick - dt.timedelta(microseconds=1)) == tick
    assert clock.next_after(dt.datetime(2026, 6, 1, 2, 29, tzinfo=BERLIN)) == tick
    assert clock.next_after(tick).tzinfo is UTC


def test_next_after_across_the_skipped_hour_fires_at_the_first_valid_instant() -> None:
    clock = CronClock("30 2 * * *", "Europe/Berlin")
    before = dt.datetime(2026, 3, 29, 1, 59, tzinfo=BERLIN)
    assert clock.next_after(before) == utc(2026, 3, 29, 1, 0)  # 03:00 CEST
    assert clock.next_after(utc(2026, 3, 29, 1, 0)) == utc(2026, 3, 30, 0, 30)


@pytest.mark.parametrize(("cron", "fold", "expected"), [
    # daily 02:30: from the first 02:10 the first 02:30 is next; from the second 02:10
    # the repeated 02:30 is not a tick, so the next is the following day's 02:30 CET.
    ("30 2 * * *", 0, utc(2026, 10, 25, 0, 30)),
    ("30 2 * * *", 1, utc(2026, 10, 26, 1, 30)),
    # every 15 minutes / hourly keep running through both occurrences of the hour.
    ("*/15 * * * *", 0, utc(2026, 10, 25, 0, 15)),
    ("*/15 * * * *", 1, utc(2026, 10, 25, 1, 15)),
    ("0 * * * *", 0, utc(2026, 10, 25, 1, 0)),   # 02:00 CET, the repeat
    ("0 * * * *", 1, utc(2026, 10, 25, 2, 0)),   # 03:00 CET
])
def test_next_after_from_inside_the_repeated_hour(cron: str, fold: int,
                                                  expected: dt.datetime) -> None:
    inside = dt.datetime(2026, 10, 25, 2, 10, fold=fold, tzinfo=BERLIN)
    assert inside.astimezone(UTC) == utc(2026, 10, 25, fold, 10)
    assert CronClock(cron, "Europe/Berlin").next_after(inside) == expected
    assert CronClock(cron, "Europe/Berlin").next_after(inside.astimezone(UTC)) == expected


def test_ticks_after_is_an_endless_ordered_stream() -> None:
    stream = CronClock("0 0 1 * *", "Europe/Berlin").ticks_after(utc(2026, 1, 1))
    firsts = [next(stream) for _ in range(13)]
    assert_utc_and_increasing(firsts)
    assert [t.astimezone(BERLIN).date() for t in firsts] == [
        dt.date(2026 + (m // 12), m % 12 + 1, 1) for m in range(1, 14)]
    assert firsts[0] == utc(2026, 1, 31, 23, 0) and firsts[5] == utc(2026, 6, 30, 22, 0)


@pytest.mark.parametrize("cron", ["0 * * * *", "@hourly", "0 */1 * * *", "0 0-23 * * *"])
def test_every_spelling_of_hourly_fires_in_both_occurrences_of_the_repeated_hour(cron: str):
    day = CronClock(cron, "Europe/Berlin").ticks_between(
        utc(2026, 10, 24, 22, 0) - dt.timedelta(seconds=1), utc(2026, 10, 25, 22, 59))
    assert len(day) == 25


def test_upcoming_ticks_give_the_same_ticks_again_after_a_pass_that_was_not_stored():
    from daggo_core.scheduling.cron import UpcomingTicks

    upcoming = UpcomingTicks(CronClock("* * * * *", "UTC"))
    cursor = utc(2026, 6, 1, 10, 0)
    first = upcoming.due(cursor, utc(2026, 6, 1, 10, 2, 30))
    assert first == [utc(2026, 6, 1, 10, 1), utc(2026, 6, 1, 10, 2)]
    assert upcoming.first_after(first[-1]) == utc(2026, 6, 1, 10, 3)  # the pass moved on...
    # ... but its claims were not stored: the cursor read next is the old one.
    assert upcoming.due(cursor, utc(2026, 6, 1, 10, 2, 40)) == first
