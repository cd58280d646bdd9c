"""Cron ticks in a schedule's timezone, correct across daylight-saving changes.

croniter walks local wall-clock time. Two rules make its ticks what users expect:
a wall time skipped by a spring-forward change fires once, at the first valid instant
after it (croniter's behaviour); a wall time repeated by a fall-back change fires once,
at its first occurrence, unless the expression's hour field is `*` (then every real
occurrence fires: an every-15-minutes schedule keeps running through the repeated hour).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

from croniter import croniter

__all__ = ["CronClock"]


class CronClock:
    """The ticks of one cron expression in one timezone, as aware UTC datetimes."""

    def __init__(self, cron: str, timezone: str) -> None:
        self.cron = cron
        self.tz = zoneinfo.ZoneInfo(timezone)
        fields = cron.split()
        self._every_hour = len(fields) == 5 and fields[1] == "*"

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
