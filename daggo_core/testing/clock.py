"""A clock tests move by hand: drive the scheduler through minutes without waiting."""

from __future__ import annotations

import datetime as dt

__all__ = ["ManualClock"]


class ManualClock:
    """Returns the time it was set to; `advance(minutes=5)` moves it.

    Pass it where daggo takes a clock, e.g. `Scheduler(storage, jobs, clock=clock)` or
    `app.start_scheduler(clock=clock)`, then call `scheduler.tick()` after each move.
    """

    def __init__(self, now: dt.datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime, e.g. with tzinfo=UTC")
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        """Move the clock forward by `datetime.timedelta(**delta)`; returns the new time."""
        self.now += dt.timedelta(**delta)
        return self.now
