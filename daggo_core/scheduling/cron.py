"""Cron ticks in a schedule's timezone, correct across daylight-saving changes.

croniter walks local wall-clock time. Two rules make its ticks what users expect:
a wall time skipped by a spring-forward change fires once, at the first valid instant
after it (croniter's behaviour); a wall time repeated by a fall-back change fires once,
at its first occurrence, unless the expression covers every hour (`*`, `*/1`, `0-23`,
@hourly: then every real occurrence fires, so an every-15-minutes schedule keeps running
through the repeated hour).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import deque
from collections.abc import Iterator

from croniter import croniter

__all__ = ["CronClock", "UpcomingTicks"]


class CronClock:
    """The ticks of one cron expression in one timezone, as aware UTC datetimes."""

    def __init__(self, cron: str, timezone: str) -> None:
        self.cron = cron
        self.tz = zoneinfo.ZoneInfo(timezone)
        hours = croniter(cron).expanded[1]
        self._every_hour = hours == ["*"] or len(set(hours)) == 24

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first tick strictly after `moment` (an aware datetime)."""
        return next(self.ticks_after(moment))

    def ticks_after(self, moment: dt.datetime) -> Iterator[dt.datetime]:
        """Every tick strictly after `moment`, in order, without end."""
        local = moment.astimezone(self.tz)
        iterator = croniter(self.cron, local)
        last = moment
        while True:
            tick = iterator.get_next(dt.datetime).astimezone(dt.UTC)
            if tick <= last or self._repeats_wall_time(tick):
                continue
            last = tick
            yield tick

    def ticks_between(self, after: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
        """The ticks `t` with `after < t <= until`, oldest first."""
        ticks = []
        for tick in self.ticks_after(after):
            if tick > until:
                break
            ticks.append(tick)
        return ticks

    def _repeats_wall_time(self, tick: dt.datetime) -> bool:
        """Whether `tick` is the second occurrence of a wall time a fall-back repeats."""
        if self._every_hour:
            return False
        local = tick.astimezone(self.tz)
        return bool(local.fold) and local.replace(fold=0).utcoffset() != local.utcoffset()


class UpcomingTicks:
    """A schedule's ticks after a cursor that moves forward, each computed once.

    While nothing is due, the two next ticks are kept computed, so that when one comes
    due no cron arithmetic is left to do (it matters with thousands of schedules due in
    the same minute).
    """

    def __init__(self, clock: CronClock) -> None:
        self.clock = clock
        self._after: dt.datetime | None = None
        self._source: Iterator[dt.datetime] = iter(())
        self._ahead: deque[dt.datetime] = deque()

    def due(self, cursor: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
        """The ticks `t` with `cursor < t <= until`, oldest first."""
        self._skip_to(cursor)
        ticks: list[dt.datetime] = []
        while (tick := self._peek(len(ticks))) <= until:
            ticks.append(tick)
        if not ticks:
            self._peek(1)  # computed now, while nothing is due
        return ticks

    def first_after(self, cursor: dt.datetime) -> dt.datetime:
        """The first tick after `cursor`."""
        self._skip_to(cursor)
        return self._peek(0)

    def _skip_to(self, cursor: dt.datetime) -> None:
        if self._after is None or cursor < self._after:
            self._after = cursor
            self._source = self.clock.ticks_after(cursor)
            self._ahead.clear()
        while self._peek(0) <= cursor:
            self._ahead.popleft()
        # A cursor behind this one (a pass whose claims were not stored) starts afresh.
        self._after = cursor

    def _peek(self, index: int) -> dt.datetime:
        while len(self._ahead) <= index:
            self._ahead.append(next(self._source))
        return self._ahead[index]
