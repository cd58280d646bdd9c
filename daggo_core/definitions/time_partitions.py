"""Time-window partitions: hourly, daily, weekly and monthly keys in a timezone."""

from __future__ import annotations

import abc
import datetime as dt
import functools
from typing import TYPE_CHECKING, Any, ClassVar

from attrs import frozen

from daggo_core.definitions.partition_keys import (
    PartitionKeyError,
    PartitionKeys,
    PartitionsDefinition,
    TimeWindow,
    _not_in,
    _reversed,
)
from daggo_core.errors import DefinitionError, InvalidArgumentError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

__all__ = [
    "DailyPartitions",
    "HourlyPartitions",
    "MonthlyPartitions",
    "TimePartitions",
    "WeeklyPartitions",
]

_CADENCES = ("hourly", "daily", "weekly", "monthly")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_RULES = {"hourly": "hourly windows start on the hour, local time",
          "daily": "daily windows start at local midnight",
          "monthly": "monthly windows start at midnight on the first of the month"}
_HOUR = dt.timedelta(hours=1)
_TICK = dt.timedelta(microseconds=1)
_ZERO = dt.timedelta(0)
_CLOCK = tuple(f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in range(60))


@frozen(kw_only=True)
class TimePartitions(PartitionsDefinition):
    """One partition per hour, day, week or month from `start`, in `timezone`.

    `start` and `end` (exclusive; None: open-ended) are datetimes, dates or ISO strings;
    naive values are local time in `timezone`. `resolve(now)` holds the windows that have
    ended by `now`, and `end_offset` windows more (1: the window in progress too). Weekly
    windows start on `week_start` (0 Monday .. 6 Sunday).

    Keys and DST:

    - daily and weekly keys are "YYYY-MM-DD", the window's first local day; monthly keys are
      "YYYY-MM"; hourly keys are "YYYY-MM-DD-HH:MM", the local wall time the window starts.
    - Daily, weekly and monthly windows run from local midnight to the local midnight that
      ends them, so a day with a DST change lasts 23 or 25 hours. Where a DST gap swallows
      midnight (America/Santiago, America/Havana), the window starts at the first instant
      after the gap.
    - Hourly windows are consecutive real hours counted from the start instant. The local hour
      a spring-forward change skips has no key; on a fall-back day both keys of the repeated
      hour carry their UTC offset ("2024-11-03-01:00-04:00", then "2024-11-03-01:00-05:00" in
      America/New_York), so every key is unique; no other hourly key has one. Where a DST
      change is not a whole hour (Australia/Lord_Howe), the hours after it start at :30.
    """

    kind: ClassVar[str] = "time"
    cadence: str
    start: dt.datetime | dt.date | str
    end: dt.datetime | dt.date | str | None = None
    timezone: str = "UTC"
    end_offset: int = 0
    week_start: int = 0

    def resolve(self, now: dt.datetime | None = None) -> PartitionKeys:
        """The keys at `now` (aware; default: the current time)."""
        grid = self._grid()
        current = _utc(dt.datetime.now(dt.UTC) if now is None else now, "now")
        count = grid.index_at(current) + self.end_offset
        if grid.end_count is not None:
            count = min(count, grid.end_count)
        return _TimeKeys(grid, max(count, 0))

    def window(self, key: str) -> TimeWindow:
        """The window of `key`; PartitionKeyError for a malformed key or one outside the
        definition's windows (later than now is fine)."""
        grid = self._grid()
        index = grid.position(key)
        return grid.window(index, index + 1)

    def window_of_range(self, first: str, last: str) -> TimeWindow:
        """The span from the start of `first`'s window to the end of `last`'s."""
        grid = self._grid()
        start, stop = grid.position(first), grid.position(last)
        if start > stop:
            raise _reversed(first, last, grid.description)
        return grid.window(start, stop + 1)

    def key_for(self, instant: dt.datetime) -> str:
        """The key of the window that holds `instant` (aware)."""
        grid = self._grid()
        index = grid.index_at(_utc(instant, "instant"))
        if index < 0 or (grid.end_count is not None and index >= grid.end_count):
            where = "before the first window" if index < 0 else "at or after the end"
            raise InvalidArgumentError(f"instant {instant.isoformat()} is {where} of the "
                                       f"partitions ({grid.description})")
        return grid.key_at(index)

    def problems(self, label: str) -> list[str]:
        return [f"{label}: {problem}" for problem in self._checked[1]]

    def snapshot(self) -> dict[str, Any]:
        return {"kind": self.kind, "cadence": self.cadence, "start": _json(self.start),
                "end": _json(self.end), "timezone": self.timezone,
                "end_offset": self.end_offset, "week_start": self.week_start}

    def describe(self) -> str:
        until = "" if self.end is None else f" until {_text(self.end)}"
        return f"{self.cadence} from {_text(self.start)}{until} ({self.timezone})"

    def _grid(self) -> _Grid:
        grid, problems = self._checked
        if grid is None:
            raise DefinitionError(f"partitions ({self.describe()})", problems)
        return grid

    @functools.cached_property
    def _checked(self) -> tuple[_Grid | None, list[str]]:
        import zoneinfo  # here, not at import: zoneinfo costs a cold start ~5 ms

        problems = []
        cadence, week_start, end_offset = self.cadence, self.week_start, self.end_offset
        if cadence not in _CADENCES:
            problems.append(f"cadence must be one of {', '.join(map(repr, _CADENCES))}, "
                            f"got {cadence!r}")
        zone: ZoneInfo | None = None
        try:
            zone = zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
            problems.append(f"unknown timezone {self.timezone!r} "
                            "(use an IANA name such as 'UTC' or 'Europe/Berlin')")
        if type(end_offset) is not int or end_offset < 0:
            problems.append(f"end_offset must be an integer >= 0, got {end_offset!r}")
        if type(week_start) is not int or not 0 <= week_start <= 6:
            problems.append("week_start must be an integer from 0 (Monday) to 6 (Sunday), "
                            f"got {week_start!r}")
            week_start = 0
        elif week_start and cadence != "weekly":
            problems.append(f"week_start applies to weekly partitions only, not {cadence!r}; "
                            "remove it")
        start, end = _moment(self.start), _moment(self.end)
        for name, value, moment in (("start", self.start, start), ("end", self.end, end)):
            if moment is None and (name == "start" or value is not None):
                problems.append(f"{name} must be a datetime, a date or an ISO date string such "
                                f"as '2024-01-01', got {value!r}")
        if zone is None or start is None or cadence not in _CADENCES:
            return None, problems
        first = _instant(zone, start)
        if first is None:
            problems.append(f"start {_text(self.start)} does not exist in {self.timezone} "
                            "(a DST change skips it)")
            return None, problems
        grid = _make_grid(cadence, zone, self.describe(), first, week_start)
        if grid.start_of(0) != first:
            rule = _RULES.get(cadence, f"weekly windows start at midnight on "
                                       f"{_WEEKDAYS[week_start]}s, week_start={week_start}")
            problems.append(f"start {_text(self.start)} is not where {_a(cadence)} window starts "
                            f"in {self.timezone} ({rule}); the window holding it starts at "
                            f"{grid.local(grid.start_of(0)).isoformat()}")
        elif end is not None:
            last = _instant(zone, end)
            index = 0 if last is None else grid.index_at(last)
            if last is None:
                problems.append(f"end {_text(self.end)} does not exist in {self.timezone} "
                                "(a DST change skips it)")
            elif last <= first:
                problems.append(f"end {_text(self.end)} is not after start {_text(self.start)}")
            elif grid.start_of(index) != last:
                problems.append(f"end {_text(self.end)} is not where {_a(cadence)} window starts "
                                f"in {self.timezone}; the window holding it starts at "
                                f"{grid.local(grid.start_of(index)).isoformat()}")
            grid.end_count = index
        return (None if problems else grid), problems


def HourlyPartitions(start: dt.datetime | dt.date | str, *,
                     end: dt.datetime | dt.date | str | None = None, timezone: str = "UTC",
                     end_offset: int = 0) -> TimePartitions:
    """One partition per hour from `start`; see TimePartitions."""
    return TimePartitions(cadence="hourly", start=start, end=end, timezone=timezone,
                          end_offset=end_offset)


def DailyPartitions(start: dt.datetime | dt.date | str, *,
                    end: dt.datetime | dt.date | str | None = None, timezone: str = "UTC",
                    end_offset: int = 0) -> TimePartitions:
    """One partition per local day from `start`; see TimePartitions."""
    return TimePartitions(cadence="daily", start=start, end=end, timezone=timezone,
                          end_offset=end_offset)


def WeeklyPartitions(start: dt.datetime | dt.date | str, *,
                     end: dt.datetime | dt.date | str | None = None, timezone: str = "UTC",
                     end_offset: int = 0, week_start: int = 0) -> TimePartitions:
    """One partition per week from `start`, which falls on `week_start` (0 Monday .. 6
    Sunday); see TimePartitions."""
    return TimePartitions(cadence="weekly", start=start, end=end, timezone=timezone,
                          end_offset=end_offset, week_start=week_start)


def MonthlyPartitions(start: dt.datetime | dt.date | str, *,
                      end: dt.datetime | dt.date | str | None = None, timezone: str = "UTC",
                      end_offset: int = 0) -> TimePartitions:
    """One partition per calendar month from `start`, the first of a month; see
    TimePartitions."""
    return TimePartitions(cadence="monthly", start=start, end=end, timezone=timezone,
                          end_offset=end_offset)


def _moment(value: object) -> dt.date | None:
    """`value` as a date or datetime, or None when it is neither nor an ISO string of one."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat):
            try:
                return parse(value)
            except ValueError:
                pass
    return None


def _text(value: object) -> str:
    if isinstance(value, dt.datetime) and value.tzinfo is None and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.datetime):
        return value.isoformat(" ", "minutes")
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _a(cadence: str) -> str:
    return f"an {cadence}" if cadence == "hourly" else f"a {cadence}"


def _json(value: object) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _utc(instant: dt.datetime, what: str) -> dt.datetime:
    """The aware `instant` as naive UTC, the form window arithmetic uses."""
    if not isinstance(instant, dt.datetime) or instant.utcoffset() is None:
        raise InvalidArgumentError(f"{what} must be an aware datetime (e.g. "
                                   f"datetime.now(datetime.UTC)), got {instant!r}")
    return instant.astimezone(dt.UTC).replace(tzinfo=None)


def _local(zone: ZoneInfo, instant: dt.datetime) -> dt.datetime:
    """The naive UTC `instant` as aware local time in `zone`."""
    return zone.fromutc(instant.replace(tzinfo=zone))


def _instant(zone: ZoneInfo, moment: dt.date) -> dt.datetime | None:
    """`moment` as naive UTC: a date or naive midnight is the local day's first instant,
    other naive values are local time; None for a local time a DST gap skips."""
    if isinstance(moment, dt.datetime):
        if moment.utcoffset() is not None:
            return moment.astimezone(dt.UTC).replace(tzinfo=None)
        if moment.time() != dt.time():
            instant = moment - (zone.utcoffset(moment.replace(tzinfo=zone)) or _ZERO)
            return instant if _local(zone, instant).replace(tzinfo=None) == moment else None
    return _day_start(zone, moment)


def _day_start(zone: ZoneInfo, day: dt.date) -> dt.datetime:
    """The first instant (naive UTC) of local `day`: its midnight, or where the DST gap
    that swallows its midnight ends."""
    midnight = dt.datetime(day.year, day.month, day.day)
    local = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
    first = midnight - (zone.utcoffset(local) or _ZERO)
    if _local(zone, first).replace(tzinfo=None) == midnight:
        return first
    # Midnight read with the offset before the gap lands at or after the gap's end; read
    # with the offset after it, before the gap: the end lies between.
    earliest = midnight - (zone.utcoffset(local.replace(fold=1)) or _ZERO)
    after = zone.utcoffset(_local(zone, first))
    while first - earliest > _TICK:
        middle = earliest + (first - earliest) // 2
        if zone.utcoffset(_local(zone, middle)) == after:
            first = middle
        else:
            earliest = middle
    return first


def _make_grid(cadence: str, zone: ZoneInfo, description: str, first: dt.datetime,
               week_start: int) -> _Grid:
    """The grid of windows whose window 0 holds the instant `first`."""
    local = _local(zone, first)
    if cadence == "hourly":
        return _HourGrid(zone, description, first - dt.timedelta(
            minutes=local.minute, seconds=local.second, microseconds=local.microsecond))
    day = local.date()
    if cadence == "monthly":
        return _MonthGrid(zone, description, day.year * 12 + day.month - 1)
    if cadence == "weekly":
        return _DayGrid(zone, description, day.toordinal() - (day.weekday() - week_start) % 7,
                        7, f"weekly keys are the 'YYYY-MM-DD' of a {_WEEKDAYS[week_start]}")
    return _DayGrid(zone, description, day.toordinal(), 1, "daily keys look like 'YYYY-MM-DD'")


class _Grid(abc.ABC):
    """Window arithmetic of a TimePartitions: window i starts at `start_of(i)` (naive UTC),
    for every integer i; the definition holds windows 0..end_count-1."""

    hint: str

    def __init__(self, zone: ZoneInfo, description: str) -> None:
        self.zone = zone
        self.description = description
        self.end_count: int | None = None

    @abc.abstractmethod
    def start_of(self, index: int) -> dt.datetime:
        """Where window `index` starts."""

    @abc.abstractmethod
    def guess(self, instant: dt.datetime) -> int:
        """The index of the window that holds `instant`, or of the one before it."""

    @abc.abstractmethod
    def keys(self, start: int, stop: int) -> list[str]:
        """The keys of windows `start` to `stop` (exclusive)."""

    @abc.abstractmethod
    def parse(self, key: str) -> int | None:
        """The index of the window `key` names, or None when `key` is not a window's key."""

    def index_at(self, instant: dt.datetime) -> int:
        """The index of the window that holds `instant`."""
        index = self.guess(instant)
        # A fall-back change just after midnight repeats the end of the previous local day
        # once the next day's window has started.
        return index + 1 if instant >= self.start_of(index + 1) else index

    def key_at(self, index: int) -> str:
        return self.keys(index, index + 1)[0]

    def local(self, instant: dt.datetime) -> dt.datetime:
        return _local(self.zone, instant)

    def window(self, start: int, stop: int) -> TimeWindow:
        return TimeWindow(start=self.local(self.start_of(start)),
                          end=self.local(self.start_of(stop)))

    def position(self, key: str) -> int:
        """The index of `key` among the definition's windows; PartitionKeyError if none."""
        index = self.parse(key)
        if index is None or index < 0 or (self.end_count is not None
                                          and index >= self.end_count):
            raise self.unknown(key, None)
        return index

    def unknown(self, key: str, count: int | None) -> PartitionKeyError:
        """The error for `key` outside windows 0..count-1 (None: all of the definition's)."""
        index = self.parse(key)
        if index is None:
            why = self.hint
        elif index < 0:
            why = "it is before the first window"
        elif self.end_count is not None and index >= self.end_count:
            why = f"it is at or after the end, {self.key_at(self.end_count)!r}"
        else:
            why = (f"it comes after the latest key, {self.key_at(count - 1)!r}" if count
                   else "no window has ended yet")
        return _not_in(key, self.description, why, None if count == 0 else self.key_at(0))


class _DayGrid(_Grid):
    """Windows of `step` local days from the day with ordinal `origin`."""

    def __init__(self, zone: ZoneInfo, description: str, origin: int, step: int,
                 hint: str) -> None:
        super().__init__(zone, description)
        self.origin, self.step, self.hint = origin, step, hint

    def start_of(self, index: int) -> dt.datetime:
        return _day_start(self.zone, dt.date.fromordinal(self.origin + index * self.step))

    def guess(self, instant: dt.datetime) -> int:
        return (self.local(instant).toordinal() - self.origin) // self.step

    def keys(self, start: int, stop: int) -> list[str]:
        fromordinal, step = dt.date.fromordinal, self.step
        return [fromordinal(day).isoformat()
                for day in range(self.origin + start * step, self.origin + stop * step, step)]

    def parse(self, key: str) -> int | None:
        try:
            day = dt.date.fromisoformat(key)
        except (TypeError, ValueError):
            return None
        index, rest = divmod(day.toordinal() - self.origin, self.step)
        return index if not rest and day.isoformat() == key else None


class _MonthGrid(_Grid):
    """Calendar months from month number `origin` (year * 12 + month - 1)."""

    hint = "monthly keys look like 'YYYY-MM'"

    def __init__(self, zone: ZoneInfo, description: str, origin: int) -> None:
        super().__init__(zone, description)
        self.origin = origin

    def start_of(self, index: int) -> dt.datetime:
        year, month = divmod(self.origin + index, 12)
        return _day_start(self.zone, dt.date(year, month + 1, 1))

    def guess(self, instant: dt.datetime) -> int:
        local = self.local(instant)
        return local.year * 12 + local.month - 1 - self.origin

    def keys(self, start: int, stop: int) -> list[str]:
        return [f"{month // 12:04d}-{month % 12 + 1:02d}"
                for month in range(self.origin + start, self.origin + stop)]

    def parse(self, key: str) -> int | None:
        if not (isinstance(key, str) and len(key) == 7 and key[4] == "-" and key.isascii()
                and key[:4].isdigit() and key[5:].isdigit()):
            return None
        year, month = int(key[:4]), int(key[5:])
        return year * 12 + month - 1 - self.origin if year and 1 <= month <= 12 else None


class _HourGrid(_Grid):
    """Consecutive real hours from the instant `first`."""

    hint = ("hourly keys look like 'YYYY-MM-DD-HH:MM' in local time, on the hour, with the "
            "UTC offset (e.g. '2024-11-03-01:00-04:00') only on an hour a DST change repeats")

    def __init__(self, zone: ZoneInfo, description: str, first: dt.datetime) -> None:
        super().__init__(zone, description)
        self.first = first

    def start_of(self, index: int) -> dt.datetime:
        return self.first + index * _HOUR

    def guess(self, instant: dt.datetime) -> int:
        return (instant - self.first) // _HOUR

    def keys(self, start: int, stop: int) -> list[str]:
        zone = self.zone
        fromutc, utcoffset, datetime = zone.fromutc, zone.utcoffset, dt.datetime
        instant = (self.first + start * _HOUR).replace(tzinfo=zone)  # UTC, as fromutc reads
        prefixes: dict[int, str] = {}
        keys = []
        for _ in range(stop - start):
            local = fromutc(instant)
            instant += _HOUR
            day = local.toordinal()
            prefix = prefixes.get(day)
            if prefix is None:
                prefix = prefixes[day] = dt.date.fromordinal(day).isoformat() + "-"
            key = prefix + _CLOCK[local.hour * 60 + local.minute]
            offset = utcoffset(local)
            # A wall time that a fall-back change repeats reads with another offset under
            # the other fold.
            if local.fold or offset != utcoffset(datetime(
                    local.year, local.month, local.day, local.hour, local.minute, 0, 0, zone,
                    fold=1)):
                key += _offset_text(offset or _ZERO)
            keys.append(key)
        return keys

    def parse(self, key: str) -> int | None:
        if not (isinstance(key, str) and len(key) in (16, 22) and key[10] == "-"):
            return None
        try:
            day = dt.date.fromisoformat(key[:10])
            wall = dt.datetime(day.year, day.month, day.day, int(key[11:13]), int(key[14:16]))
            if len(key) == 16:
                instant = wall - (self.zone.utcoffset(wall.replace(tzinfo=self.zone)) or _ZERO)
            elif key[16] in "+-":
                offset = dt.timedelta(hours=int(key[17:19]), minutes=int(key[20:22]))
                instant = wall - offset if key[16] == "+" else wall + offset
            else:
                return None
            index, rest = divmod(instant - self.first, _HOUR)
            return index if not rest and self.key_at(index) == key else None
        except (ValueError, OverflowError):
            return None


def _offset_text(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    hours, minutes = divmod(abs(minutes), 60)
    return f"{'-' if offset < _ZERO else '+'}{hours:02d}:{minutes:02d}"


class _TimeKeys(PartitionKeys):
    """The first `count` windows of a grid; every operation is arithmetic on the window
    index, so a set of any size costs the same."""

    def __init__(self, grid: _Grid, count: int) -> None:
        self._grid, self._count, self._description = grid, count, grid.description

    def __len__(self) -> int:
        return self._count

    def index_of(self, key: str) -> int | None:
        index = self._grid.parse(key)
        return index if index is not None and 0 <= index < self._count else None

    def _run(self, start: int, stop: int) -> list[str]:
        return self._grid.keys(start, stop)

    def _unknown(self, key: str) -> PartitionKeyError:
        return self._grid.unknown(key, self._count)
