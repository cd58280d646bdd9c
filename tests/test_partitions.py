"""Partition definitions: static, time-window (DST-correct) and dynamic keys."""

import datetime as dt
import json
import zoneinfo

import pytest

from daggo_core.definitions.partitions import (
    PARTITION_KEY_MAX,
    RANGE_SEPARATOR,
    DailyPartitions,
    DynamicPartitions,
    HourlyPartitions,
    MonthlyPartitions,
    PartitionKeyError,
    PartitionKeys,
    StaticPartitions,
    TimePartitions,
    TimeWindow,
    WeeklyPartitions,
    partition_key_problem,
)
from daggo_core.errors import DefinitionError, InvalidArgumentError

NEW_YORK = "America/New_York"
HOUR = dt.timedelta(hours=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
        second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


def hours(window: TimeWindow) -> float:
    # Datetimes of one tzinfo subtract as wall times: measure real time in UTC.
    return (window.end.astimezone(dt.UTC) - window.start.astimezone(dt.UTC)) / HOUR


def day_keys(keys: PartitionKeys, day: str) -> list[str]:
    return [key for key in keys if key.startswith(day)]


# --- keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "fragment"), [
    (7, "is a int; keys are strings"),
    ("", "is empty"),
    ("k" * (PARTITION_KEY_MAX + 1), f"has {PARTITION_KEY_MAX + 1} characters"),
    ("a\x00b", "NUL character"),
    ("a...b", "contains '...'"),
    (" a", "starts or ends with whitespace"),
    ("a\n", "starts or ends with whitespace"),
])
def test_partition_key_problem_names_what_is_wrong(key: object, fragment: str) -> None:
    problem = partition_key_problem(key)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize("key", ["a", "k" * PARTITION_KEY_MAX, "2024-01-01", "a..b", "é x"])
def test_partition_key_problem_accepts_valid_keys(key: str) -> None:
    assert partition_key_problem(key) is None
    assert RANGE_SEPARATOR == "..."


# --- static -----------------------------------------------------------------------------


def test_static_keys_keep_their_order_and_index() -> None:
    keys = StaticPartitions(["us", "eu", "apac"]).resolve()
    assert list(keys) == ["us", "eu", "apac"]
    assert len(keys) == 3
    assert [keys.key_at(i) for i in range(3)] == ["us", "eu", "apac"]
    assert keys.index_of("apac") == 2
    assert keys.index_of("mars") is None
    assert "eu" in keys and "mars" not in keys and 3 not in keys
    with pytest.raises(IndexError, match="out of range"):
        keys.key_at(3)
    with pytest.raises(IndexError):
        keys.key_at(-1)


@pytest.mark.parametrize(("start", "stop"), [(0, 2), (1, 10), (-2, 3), (-10, -1), (2, 1),
                                             (5, 9), (0, 0)])
def test_slice_matches_list_slicing(start: int, stop: int) -> None:
    names = ["a", "b", "c", "d"]
    daily = DailyPartitions("2024-01-01").resolve(utc(2024, 1, 5))
    assert StaticPartitions(names).resolve().slice(start, stop) == names[start:stop]
    assert daily.slice(start, stop) == list(daily)[start:stop]


def test_static_between_is_inclusive_and_checks_its_ends() -> None:
    keys = StaticPartitions(["a", "b", "c", "d"]).resolve()
    assert keys.between("b", "d") == ["b", "c", "d"]
    assert keys.between("c", "c") == ["c"]
    with pytest.raises(PartitionKeyError) as unknown:
        keys.between("b", "z")
    assert unknown.value.key == "z"
    assert str(unknown.value) == ("partition key 'z' is not in the partitions (4 static keys); "
                                  "a valid key is 'a'")
    assert isinstance(unknown.value, InvalidArgumentError)
    with pytest.raises(PartitionKeyError, match=r"range 'd\.\.\.b' is reversed .*'d' comes "
                                                r"after 'b'; give the earlier key first"):
        keys.between("d", "b")


def test_static_problems_are_collected() -> None:
    assert StaticPartitions(["a", "b"]).problems("asset 'orders' partitions") == []
    assert StaticPartitions([]).problems("p") == [
        "p: static partitions have no keys; give at least one"]
    problems = StaticPartitions(["a", "b", "a", "", "x...y", 3, "b"]).problems("p")  # type: ignore[list-item]
    assert problems == [
        "p: partition key '' is empty; give at least one character",
        "p: partition key 'x...y' contains '...', which joins the ends of a key range "
        "('first...last'); use another separator",
        "p: partition key 3 is a int; keys are strings",
        "p: partition keys appear more than once: 'a', 'b'; give each key once",
    ]
    many = [f"k{i}" for i in range(7)] * 2
    assert StaticPartitions(many).problems("p")[-1].endswith(
        "'k3', 'k4' and 2 more; give each key once")
    with pytest.raises(DefinitionError, match=r"partitions \(3 static keys\) is invalid"):
        StaticPartitions(["a", "a", "b"]).resolve()


def test_static_describe_and_snapshot() -> None:
    static = StaticPartitions(("x", "y", "z"))
    assert static.keys == ("x", "y", "z")
    assert static.describe() == "3 static keys"
    assert StaticPartitions(["x"]).describe() == "1 static key"
    assert static.snapshot() == {"kind": "static", "keys": ["x", "y", "z"]}
    assert static.kind == "static"


def test_an_empty_set_says_it_has_no_keys() -> None:
    keys = DynamicPartitions("customers").resolve([])
    assert len(keys) == 0 and list(keys) == [] and keys.slice(0, 5) == []
    with pytest.raises(PartitionKeyError, match="it has no keys yet"):
        keys.between("a", "b")


# --- dynamic ----------------------------------------------------------------------------


def test_dynamic_keys_are_taken_as_stored() -> None:
    dynamic = DynamicPartitions("customers")
    keys = dynamic.resolve(["zed", "acme", "bolt"])
    assert list(keys) == ["zed", "acme", "bolt"]
    assert keys.index_of("bolt") == 2
    assert keys.between("zed", "acme") == ["zed", "acme"]
    assert dynamic.describe() == "dynamic 'customers'"
    assert dynamic.snapshot() == {"kind": "dynamic", "name": "customers"}
    assert dynamic.problems("p") == []


def test_dynamic_name_must_be_a_valid_name() -> None:
    [problem] = DynamicPartitions("no spaces").problems("asset 'orders' partitions")
    assert problem.startswith("asset 'orders' partitions: dynamic partitions name 'no spaces' "
                              "is malformed")
    with pytest.raises(DefinitionError):
        DynamicPartitions("no spaces").resolve(["a"])


# --- time windows in UTC ----------------------------------------------------------------


def test_daily_keys_windows_and_counts() -> None:
    daily = DailyPartitions("2024-01-30")
    keys = daily.resolve(utc(2024, 2, 2, 12))
    assert list(keys) == ["2024-01-30", "2024-01-31", "2024-02-01"]
    assert keys.index_of("2024-02-01") == 2
    assert daily.window("2024-01-31") == TimeWindow(start=utc(2024, 1, 31), end=utc(2024, 2, 1))
    assert daily.window("2030-01-01").start == utc(2030, 1, 1)  # later than now is fine
    assert daily.key_for(utc(2024, 2, 1, 23, 59)) == "2024-02-01"
    assert daily.describe() == "daily from 2024-01-30 (UTC)"
    assert daily.kind == "time"


def test_resolve_counts_ended_windows_end_offset_and_end() -> None:
    daily = DailyPartitions(dt.date(2024, 1, 1), end="2024-01-11")
    assert len(daily.resolve(utc(2024, 1, 4))) == 3  # a window that ends at now has ended
    assert len(daily.resolve(utc(2024, 1, 4, 0, 0, 1))) == 3
    assert len(daily.resolve(utc(2030, 1, 1))) == 10
    assert daily.resolve(utc(2030, 1, 1)).key_at(9) == "2024-01-10"
    assert len(daily.resolve(utc(2023, 12, 31))) == 0
    in_progress = DailyPartitions("2024-01-01", end="2024-01-11", end_offset=1)
    assert len(in_progress.resolve(utc(2024, 1, 4, 6))) == 4
    assert in_progress.resolve(utc(2024, 1, 4, 6)).key_at(3) == "2024-01-04"
    assert len(in_progress.resolve(utc(2023, 12, 31, 23))) == 0
    assert len(in_progress.resolve(utc(2024, 1, 1))) == 1
    assert len(in_progress.resolve(utc(2030, 1, 1))) == 10
    assert len(DailyPartitions("2024-01-01", end_offset=3).resolve(utc(2024, 1, 2))) == 4
    assert len(DailyPartitions("2024-01-01").resolve()) > 300  # default now: the clock


def test_resolved_keys_name_why_a_key_is_missing() -> None:
    daily = DailyPartitions("2024-01-01", end="2024-02-01")
    keys = daily.resolve(utc(2024, 1, 10, 12))
    with pytest.raises(PartitionKeyError, match="it comes after the latest key, '2024-01-09'"):
        keys.between("2024-01-01", "2024-01-20")
    with pytest.raises(PartitionKeyError, match="it is at or after the end, '2024-02-01'"):
        daily.window("2024-02-01")
    with pytest.raises(PartitionKeyError, match="it is before the first window; a valid key "
                                                "is '2024-01-01'"):
        daily.window("2023-12-31")
    with pytest.raises(PartitionKeyError, match="no window has ended yet; it has no keys yet"):
        daily.resolve(utc(2023, 1, 1)).between("2024-01-01", "2024-01-01")


def test_weekly_windows_start_on_week_start() -> None:
    weekly = WeeklyPartitions("2023-12-31", week_start=6)  # a Sunday
    keys = weekly.resolve(utc(2024, 1, 22))
    assert list(keys) == ["2023-12-31", "2024-01-07", "2024-01-14"]
    assert keys.index_of("2024-01-14") == 2
    assert keys.index_of("2024-01-08") is None  # a Monday
    assert weekly.window("2024-01-07") == TimeWindow(start=utc(2024, 1, 7), end=utc(2024, 1, 14))
    assert weekly.key_for(utc(2024, 1, 13, 23)) == "2024-01-07"
    with pytest.raises(PartitionKeyError, match="weekly keys are the 'YYYY-MM-DD' of a Sunday"):
        weekly.window("2024-01-08")
    assert WeeklyPartitions("2024-01-01").resolve(utc(2024, 1, 15)).slice(0, 9) == [
        "2024-01-01", "2024-01-08"]


def test_monthly_windows_cross_year_ends_and_february() -> None:
    monthly = MonthlyPartitions("2023-11-01", timezone="Europe/Berlin")
    keys = monthly.resolve(utc(2024, 4, 1))
    assert list(keys) == ["2023-11", "2023-12", "2024-01", "2024-02", "2024-03"]
    assert keys.index_of("2024-02") == 3
    assert hours(monthly.window("2024-02")) == 29 * 24
    assert hours(MonthlyPartitions("2023-01-01").window("2023-02")) == 28 * 24
    assert hours(monthly.window("2024-03")) == 31 * 24 - 1  # DST starts on March 31
    assert monthly.window("2023-12").end == dt.datetime(2024, 1, 1,
                                                        tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    assert monthly.key_for(utc(2023, 12, 31, 23, 30)) == "2024-01"  # midnight in Berlin
    assert MonthlyPartitions("2024-01-01", end="2025-01-01").resolve(utc(2030, 1, 1)).key_at(
        11) == "2024-12"


def test_hourly_keys_in_utc() -> None:
    hourly = HourlyPartitions("2024-01-01T22:00")
    keys = hourly.resolve(utc(2024, 1, 2, 1, 30))
    assert list(keys) == ["2024-01-01-22:00", "2024-01-01-23:00", "2024-01-02-00:00"]
    assert hourly.window("2024-01-02-00:00") == TimeWindow(start=utc(2024, 1, 2),
                                                          end=utc(2024, 1, 2, 1))
    assert hourly.key_for(utc(2024, 1, 2, 5, 59, 59)) == "2024-01-02-05:00"
    assert hourly.describe() == "hourly from 2024-01-01T22:00 (UTC)"


def test_window_of_range() -> None:
    daily = DailyPartitions("2024-01-01")
    assert daily.window_of_range("2024-01-03", "2024-01-05") == TimeWindow(
        start=utc(2024, 1, 3), end=utc(2024, 1, 6))
    assert daily.window_of_range("2024-01-03", "2024-01-03") == daily.window("2024-01-03")
    hourly = HourlyPartitions("2024-11-03", timezone=NEW_YORK)
    assert hours(hourly.window_of_range("2024-11-03-01:00-04:00", "2024-11-03-02:00")) == 3
    with pytest.raises(PartitionKeyError, match="is reversed"):
        daily.window_of_range("2024-01-05", "2024-01-03")
    with pytest.raises(PartitionKeyError, match="'2024-1-5'"):
        daily.window_of_range("2024-01-03", "2024-1-5")


def test_key_for_needs_an_aware_instant_inside_the_definition() -> None:
    daily = DailyPartitions("2024-01-01", end="2024-02-01")
    with pytest.raises(InvalidArgumentError, match="must be an aware datetime"):
        daily.key_for(dt.datetime(2024, 1, 5))
    with pytest.raises(InvalidArgumentError, match="before the first window"):
        daily.key_for(utc(2023, 12, 31, 23))
    with pytest.raises(InvalidArgumentError, match="at or after the end"):
        daily.key_for(utc(2024, 2, 1))
    with pytest.raises(InvalidArgumentError, match="now must be an aware datetime"):
        daily.resolve(dt.datetime(2024, 1, 5))


# --- DST ----------------------------------------------------------------------------------


def test_new_york_spring_forward() -> None:
    zone = zoneinfo.ZoneInfo(NEW_YORK)
    daily = DailyPartitions("2024-03-01", timezone=NEW_YORK)
    window = daily.window("2024-03-10")
    assert window == TimeWindow(start=dt.datetime(2024, 3, 10, tzinfo=zone),
                                end=dt.datetime(2024, 3, 11, tzinfo=zone))
    assert hours(window) == 23
    hourly = HourlyPartitions("2024-03-01", timezone=NEW_YORK)
    keys = hourly.resolve(utc(2024, 3, 12))
    day = day_keys(keys, "2024-03-10")
    assert len(day) == 23
    assert day[:3] == ["2024-03-10-00:00", "2024-03-10-01:00", "2024-03-10-03:00"]
    assert keys.index_of("2024-03-10-02:00") is None
    with pytest.raises(PartitionKeyError, match="hourly keys look like"):
        hourly.window("2024-03-10-02:00")
    assert hours(hourly.window("2024-03-10-01:00")) == 1


def test_new_york_fall_back_round_trips_every_key() -> None:
    daily = DailyPartitions("2024-11-01", timezone=NEW_YORK)
    assert hours(daily.window("2024-11-03")) == 25
    hourly = HourlyPartitions("2024-11-01", timezone=NEW_YORK)
    keys = hourly.resolve(utc(2024, 11, 5))
    day = day_keys(keys, "2024-11-03")
    assert len(day) == 25
    assert day[:4] == ["2024-11-03-00:00", "2024-11-03-01:00-04:00", "2024-11-03-01:00-05:00",
                       "2024-11-03-02:00"]
    assert [key for key in keys if len(key) != 16] == day[1:3]
    assert keys.index_of("2024-11-03-01:00") is None  # ambiguous without its offset
    assert keys.index_of("2024-11-03-02:00-05:00") is None  # an offset where none is needed
    previous_end = None
    for key in day_keys(keys, "2024-11-02") + day + day_keys(keys, "2024-11-04"):
        index = keys.index_of(key)
        assert index is not None and keys.key_at(index) == key
        window = hourly.window(key)
        assert hours(window) == 1
        assert previous_end is None or window.start == previous_end
        assert hourly.key_for(window.start) == key
        assert hourly.key_for(window.end.astimezone(dt.UTC) - dt.timedelta(seconds=1)) == key
        previous_end = window.end
    assert hourly.window("2024-11-03-01:00-05:00").start.astimezone(dt.UTC) == utc(2024, 11, 3, 6)


def test_london_days_and_repeated_hour() -> None:
    daily = DailyPartitions("2024-03-01", timezone="Europe/London")
    assert hours(daily.window("2024-03-31")) == 23
    assert hours(daily.window("2024-10-27")) == 25
    assert daily.describe() == "daily from 2024-03-01 (Europe/London)"
    keys = HourlyPartitions("2024-10-27", timezone="Europe/London").resolve(utc(2024, 10, 28))
    assert keys.slice(0, 4) == ["2024-10-27-00:00", "2024-10-27-01:00+01:00",
                                "2024-10-27-01:00+00:00", "2024-10-27-02:00"]
    assert len(keys) == 25


def test_kolkata_hours_start_on_the_local_hour() -> None:
    hourly = HourlyPartitions("2024-01-01", timezone="Asia/Kolkata")
    assert hourly.problems("p") == []
    keys = hourly.resolve(utc(2024, 1, 1))
    assert list(keys) == [f"2024-01-01-{h:02d}:00" for h in range(5)]
    window = hourly.window("2024-01-01-02:00")
    assert window.start.astimezone(dt.UTC) == utc(2023, 12, 31, 20, 30)
    assert hourly.key_for(utc(2023, 12, 31, 21, 29)) == "2024-01-01-02:00"
    assert hourly.key_for(utc(2023, 12, 31, 21, 30)) == "2024-01-01-03:00"
    assert HourlyPartitions("2024-01-01T05:00", timezone="Asia/Kolkata").resolve(
        utc(2024, 1, 1, 0, 30)).slice(0, 5) == ["2024-01-01-05:00"]


def test_a_day_whose_midnight_a_dst_gap_skips_starts_after_the_gap() -> None:
    zone = zoneinfo.ZoneInfo("America/Santiago")
    # zoneinfo's data: clocks jumped from 2022-09-11 00:00 -04 to 01:00 -03
    gap = utc(2022, 9, 11, 4)
    assert (gap - dt.timedelta(seconds=1)).astimezone(zone).isoformat() == (
        "2022-09-10T23:59:59-04:00")
    assert gap.astimezone(zone).isoformat() == "2022-09-11T01:00:00-03:00"
    daily = DailyPartitions("2022-09-11", timezone="America/Santiago")
    assert daily.problems("p") == []
    window = daily.window("2022-09-11")
    assert window.start.astimezone(dt.UTC) == gap
    assert window.start.isoformat() == "2022-09-11T01:00:00-03:00"
    assert hours(window) == 23
    before = DailyPartitions("2022-09-01", timezone="America/Santiago")
    assert before.window("2022-09-10").end == window.start
    assert before.key_for(gap) == "2022-09-11"
    assert before.key_for(gap - dt.timedelta(microseconds=1)) == "2022-09-10"
    hourly = HourlyPartitions(dt.datetime(2022, 9, 11), timezone="America/Santiago")
    assert hourly.resolve(gap + 2 * HOUR).slice(0, 3) == ["2022-09-11-01:00", "2022-09-11-02:00"]


def test_a_dst_gap_across_midnight_ends_where_the_day_starts() -> None:
    zone = zoneinfo.ZoneInfo("America/Toronto")
    # zoneinfo's data: clocks jumped from 1919-03-30 23:30 -05 to 1919-03-31 00:30 -04
    gap = utc(1919, 3, 31, 4, 30)
    assert (gap - dt.timedelta(seconds=1)).astimezone(zone).isoformat() == (
        "1919-03-30T23:29:59-05:00")
    assert gap.astimezone(zone).isoformat() == "1919-03-31T00:30:00-04:00"
    daily = DailyPartitions("1919-03-30", timezone="America/Toronto")
    assert daily.window("1919-03-31").start.astimezone(dt.UTC) == gap
    assert hours(daily.window("1919-03-30")) == 23.5
    assert daily.key_for(gap) == "1919-03-31"


@pytest.mark.parametrize(("zone", "day"), [
    (NEW_YORK, "2024-11-02"), ("America/Santiago", "2022-09-10"),
    ("America/Santiago", "2022-04-01"), ("America/St_Johns", "2010-11-06"),
    ("Asia/Kolkata", "2024-01-01"),
])
def test_key_for_names_the_window_that_holds_the_instant(zone: str, day: str) -> None:
    for definition in (DailyPartitions(day, timezone=zone), HourlyPartitions(day, timezone=zone)):
        start = definition.window(definition.key_for(
            DailyPartitions(day, timezone=zone).window(day).start)).start.astimezone(dt.UTC)
        for step in range(4 * 24 * 4):
            instant = start + dt.timedelta(minutes=15 * step)
            window = definition.window(definition.key_for(instant))
            assert window.start.astimezone(dt.UTC) <= instant < window.end.astimezone(dt.UTC)


def test_a_hundred_thousand_hourly_keys_round_trip() -> None:
    hourly = HourlyPartitions("2015-01-01", timezone=NEW_YORK)
    first = hourly.window("2015-01-01-00:00").start.astimezone(dt.UTC)
    keys = hourly.resolve(first + 100_000 * HOUR)
    assert len(keys) == 100_000
    everything = list(keys)
    assert len(everything) == len(set(everything)) == 100_000
    assert keys.slice(99_990, 200_000) == everything[99_990:]
    samples = [*range(0, 100_000, 997), 99_999, keys.index_of("2024-11-03-01:00-05:00")]
    for index in samples:
        assert index is not None
        key = keys.key_at(index)
        assert key == everything[index]
        assert keys.index_of(key) == index
        assert keys.slice(index, index + 3) == everything[index:index + 3]
    with pytest.raises(IndexError):
        keys.key_at(100_000)


@pytest.mark.parametrize(("definition", "malformed"), [
    (DailyPartitions("2024-01-01"),
     ["", "2024-1-01", "20240101", "2024-W01-1", "2024-02-30", " 2024-01-01", "2024-01",
      "2024-01-01-00:00", "\uff12\uff10\uff12\uff14-01-01", "9999-99-99"]),
    (WeeklyPartitions("2024-01-01"), ["2024-01-02", "2024-01", "2024-13-01"]),
    (MonthlyPartitions("2024-01-01"),
     ["2024-13", "2024-00", "0000-01", "2024-1", "2024/01", "+202-01", "2024-01-01",
      "\uff12\uff10\uff12\uff14-01"]),
    (HourlyPartitions("2024-01-01", timezone=NEW_YORK),
     ["2024-01-01", "2024-01-01-25:00", "2024-01-01-10:30", "2024-01-01T10:00",
      "2024-01-01-10:00-05:00", "2024-01-01-10:00x05:00", "2024-01-01- 1:00",
      "9999-12-31-23:00", "2024-01-01-10:00-05:0x"]),
])
def test_malformed_keys(definition: TimePartitions, malformed: list[str]) -> None:
    keys = definition.resolve(utc(2099, 1, 1))
    for key in [*malformed, None, 20240101]:
        assert keys.index_of(key) is None  # type: ignore[arg-type]
        assert key not in keys
        with pytest.raises(PartitionKeyError) as error:
            definition.window(key)  # type: ignore[arg-type]
        assert repr(key) in str(error.value)
        assert f"a valid key is {keys.key_at(0)!r}" in str(error.value)


# --- problems -----------------------------------------------------------------------------


@pytest.mark.parametrize(("definition", "problem"), [
    (TimePartitions(cadence="yearly", start="2024-01-01"),
     "cadence must be one of 'hourly', 'daily', 'weekly', 'monthly', got 'yearly'"),
    (DailyPartitions("2024-01-01", timezone="Mars/Olympus"),
     "unknown timezone 'Mars/Olympus' (use an IANA name such as 'UTC' or 'Europe/Berlin')"),
    (DailyPartitions("2024-01-01T10:30"),
     "start 2024-01-01T10:30 is not where a daily window starts in UTC (daily windows start "
     "at local midnight); the window holding it starts at 2024-01-01T00:00:00+00:00"),
    (HourlyPartitions("2024-01-01T10:15", timezone="Asia/Kolkata"),
     "start 2024-01-01T10:15 is not where an hourly window starts in Asia/Kolkata (hourly "
     "windows start on the hour, local time); the window holding it starts at "
     "2024-01-01T10:00:00+05:30"),
    (MonthlyPartitions("2024-01-02"),
     "start 2024-01-02 is not where a monthly window starts in UTC (monthly windows start at "
     "midnight on the first of the month); the window holding it starts at "
     "2024-01-01T00:00:00+00:00"),
    (WeeklyPartitions("2024-01-01", week_start=6),
     "start 2024-01-01 is not where a weekly window starts in UTC (weekly windows start at "
     "midnight on Sundays, week_start=6); the window holding it starts at "
     "2023-12-31T00:00:00+00:00"),
    (HourlyPartitions("2024-03-10T02:30", timezone=NEW_YORK),
     "start 2024-03-10T02:30 does not exist in America/New_York (a DST change skips it)"),
    (DailyPartitions("2024-01-10", end="2024-01-10"),
     "end 2024-01-10 is not after start 2024-01-10"),
    (DailyPartitions("2024-01-10", end=dt.date(2024, 1, 1)),
     "end 2024-01-01 is not after start 2024-01-10"),
    (DailyPartitions("2024-01-01", end="2024-02-01T06:00"),
     "end 2024-02-01T06:00 is not where a daily window starts in UTC; the window holding it "
     "starts at 2024-02-01T00:00:00+00:00"),
    (HourlyPartitions("2024-03-01", end="2024-03-10T02:00", timezone=NEW_YORK),
     "end 2024-03-10T02:00 does not exist in America/New_York (a DST change skips it)"),
    (DailyPartitions("2024-01-01", end_offset=-1), "end_offset must be an integer >= 0, got -1"),
    (WeeklyPartitions("2024-01-01", week_start=7),
     "week_start must be an integer from 0 (Monday) to 6 (Sunday), got 7"),
    (TimePartitions(cadence="daily", start="2024-01-01", week_start=2),
     "week_start applies to weekly partitions only, not 'daily'; remove it"),
    (DailyPartitions("January"),
     "start must be a datetime, a date or an ISO date string such as '2024-01-01', "
     "got 'January'"),
    (DailyPartitions("2024-01-01", end=5),  # type: ignore[arg-type]
     "end must be a datetime, a date or an ISO date string such as '2024-01-01', got 5"),
])
def test_time_problems(definition: TimePartitions, problem: str) -> None:
    assert definition.problems("asset 'orders' partitions") == [
        f"asset 'orders' partitions: {problem}"]
    with pytest.raises(DefinitionError, match="is invalid"):
        definition.resolve(utc(2024, 6, 1))


def test_valid_time_definitions_have_no_problems() -> None:
    zone = zoneinfo.ZoneInfo(NEW_YORK)
    for definition in (
        DailyPartitions(dt.datetime(2024, 1, 1, tzinfo=zone), timezone=NEW_YORK),
        DailyPartitions("2024-01-01T05:00:00+00:00", end="2024-02-01", timezone=NEW_YORK),
        HourlyPartitions("2024-11-03T01:00", end="2024-11-03T06:00:00+00:00", timezone=NEW_YORK),
        WeeklyPartitions("2024-01-07", end="2024-02-04", week_start=6),
        MonthlyPartitions(dt.date(2024, 1, 1), end=dt.date(2025, 1, 1), end_offset=1),
    ):
        assert definition.problems("p") == [], definition


def test_hourly_end_counts_real_hours() -> None:
    hourly = HourlyPartitions("2024-11-03", end="2024-11-04", timezone=NEW_YORK)
    assert len(hourly.resolve(utc(2030, 1, 1))) == 25


def test_time_snapshot_is_json_and_rebuilds_the_definition() -> None:
    definition = WeeklyPartitions(dt.date(2024, 1, 7), end=dt.datetime(2024, 3, 3),
                                  timezone="Europe/London", end_offset=1, week_start=6)
    snapshot = definition.snapshot()
    assert snapshot == {"kind": "time", "cadence": "weekly", "start": "2024-01-07",
                        "end": "2024-03-03T00:00:00", "timezone": "Europe/London",
                        "end_offset": 1, "week_start": 6}
    fields = json.loads(json.dumps(snapshot))
    del fields["kind"]
    rebuilt = TimePartitions(**fields)
    now = utc(2024, 2, 20)
    assert list(rebuilt.resolve(now)) == list(definition.resolve(now))
    assert definition.describe() == "weekly from 2024-01-07 until 2024-03-03 (Europe/London)"
