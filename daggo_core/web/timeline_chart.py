"""The overview's timeline: the window the URL asks for (`TimelineWindow`) and the bars
of `Runs.Timeline` placed on its time axis (`chart`), for SVG drawn by the server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from urllib.parse import quote, urlencode

from attrs import frozen
from markupsafe import Markup, escape

from daggo_core.errors import InvalidArgumentError
from daggo_core.services.runs import RunStatus
from daggo_core.services.timeline import RunsTimelineResponse, TimelineBar

__all__ = ["WINDOWS", "Chart", "ChartBar", "ChartLane", "Tick", "TimelineWindow", "bars_svg",
           "chart"]

#: The windows the overview offers: their name in the URL and their length.
WINDOWS = {"1h": dt.timedelta(hours=1), "6h": dt.timedelta(hours=6),
           "24h": dt.timedelta(days=1), "7d": dt.timedelta(days=7),
           "30d": dt.timedelta(days=30)}
DEFAULT_WINDOW = "24h"
#: Chart width in SVG units, and the resolution asked for: a slot is 2 units, a bar's
#: least width.
WIDTH, SLOTS = 1000.0, 500
LANE = 22
#: Spacing of the axis' labels: the first that gives at most 8 labels across the window.
_STEPS = (*(dt.timedelta(minutes=m) for m in (5, 10, 15, 30, 60, 120, 180, 360, 720)),
          *(dt.timedelta(days=d) for d in (1, 2, 5, 7, 14)))


@frozen
class TimelineWindow:
    """The window of the overview's URL: `window` (a name of WINDOWS) ending at `end`
    (None: now)."""

    name: str
    end: dt.datetime | None

    @classmethod
    def of(cls, args: Mapping[str, str]) -> TimelineWindow:
        name = args.get("window", DEFAULT_WINDOW) or DEFAULT_WINDOW
        if name not in WINDOWS:
            raise InvalidArgumentError(
                f"window: choose one of {', '.join(WINDOWS)}, got {name!r}")
        end = None
        if text := args.get("end", "").strip():
            try:
                end = dt.datetime.fromisoformat(text)
            except ValueError:
                raise InvalidArgumentError(
                    f"end: give a time like 2026-01-05T09:00+00:00, got {text!r}") from None
            if end.tzinfo is None:
                end = end.replace(tzinfo=dt.UTC)
            try:  # the window, and the one before it (its Earlier link), exist
                end.astimezone(dt.UTC) - 2 * WINDOWS[name]
            except OverflowError:
                raise InvalidArgumentError(
                    f"end: out of range for a {name} window, got {text!r}") from None
        return cls(name=name, end=end)

    @property
    def length(self) -> dt.timedelta:
        return WINDOWS[self.name]

    def bounds(self, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        end = self.end or now
        return end - self.length, end

    def later(self, now: dt.datetime) -> dt.datetime | None:
        """Where the next window ends: None (now) when that is within a twentieth of a
        window of now, so that Earlier then Later comes back to the live window."""
        if self.end is None:
            return None
        end = self.end + self.length
        return None if end >= now - self.length / 20 else end

    def choices(self) -> list[tuple[str, dict[str, str]]]:
        """Each window's name and query string, ending where this one ends."""
        return [(name, TimelineWindow(name, self.end).args(self.end)) for name in WINDOWS]

    def args(self, end: dt.datetime | None) -> dict[str, str]:
        """The query string of this window ending at `end` (None: now), for links."""
        values = {"window": self.name}
        if end is not None:
            values["end"] = end.astimezone(dt.UTC).isoformat(timespec="seconds")
        return values


@frozen
class ChartBar:
    x: float
    width: float
    status: str
    run_id: str | None
    title: str
    created_after: dt.datetime  # the bar's runs were created from then on
    created_before: dt.datetime  # and before then


@frozen
class ChartLane:
    job: str
    runs: int
    y: float
    bars: tuple[ChartBar, ...]


@frozen
class Tick:
    x: float
    at: dt.datetime


@frozen
class Chart:
    lanes: tuple[ChartLane, ...]
    ticks: tuple[Tick, ...]
    height: float
    now_x: float | None  # where now is, when the window reaches it


def chart(timeline: RunsTimelineResponse, now: dt.datetime) -> Chart:
    """The bars of `timeline` placed across WIDTH, lanes LANE apart, and the axis."""
    start, end = timeline.start, timeline.end
    scale = WIDTH / (end - start).total_seconds()

    def x_of(moment: dt.datetime) -> float:
        return (moment - start).total_seconds() * scale

    lanes = tuple(
        ChartLane(job=lane.job, runs=lane.runs, y=float(row * LANE), bars=tuple(
            ChartBar(x=x_of(bar.start), width=max(x_of(bar.end) - x_of(bar.start), 2.0),
                     status=str(bar.status), run_id=bar.run_id, title=_title(lane.job, bar),
                     created_after=bar.created_after, created_before=bar.created_before)
            for bar in lane.bars))
        for row, lane in enumerate(timeline.lanes))
    return Chart(lanes=lanes, ticks=_ticks(start, end, x_of),
                 height=float(max(len(lanes), 1) * LANE),
                 now_x=x_of(now) if start <= now <= end else None)


def bars_svg(drawn: Chart, *, runs_path: str, classes: Mapping[str, str]) -> Markup:
    """The SVG of `drawn`'s bars: each links to its run (`runs_path`/id, the run page's
    route) or, when it merges runs, to the runs page listing them, and carries its hover
    text; `classes` gives each status its CSS class. Written here, not in the template:
    a window may draw thousands of bars, and this is several times faster."""
    parts = []
    for lane in drawn.lanes:
        y = f"{lane.y + 4:g}"
        for bar in lane.bars:
            if bar.run_id:
                href = f"{runs_path}/{quote(bar.run_id, safe='')}"
                data = f' data-run="{escape(bar.run_id)}"'
            else:
                href = f"{runs_path}?" + urlencode({
                    "job": lane.job, "since": bar.created_after.isoformat(),
                    "until": bar.created_before.isoformat()})
                data = ""
            parts.append(
                f'<a href="{escape(href)}"><rect class="bar {classes.get(bar.status, "")}" '
                f'x="{bar.x:.2f}" y="{y}" width="{bar.width:.2f}" height="14" rx="2"{data}>'
                f"<title>{escape(bar.title)}</title></rect></a>")
    return Markup("".join(parts))


def _ticks(start: dt.datetime, end: dt.datetime,
           x_of: Callable[[dt.datetime], float]) -> tuple[Tick, ...]:
    span = end - start
    step = next((s for s in _STEPS if span / s <= 8), _STEPS[-1])
    epoch = dt.datetime(2000, 1, 3, tzinfo=dt.UTC)  # a Monday: weeks start on it
    first = epoch + step * -(-(start - epoch) // step)
    ticks = []
    at = first
    while at <= end:
        ticks.append(Tick(x=x_of(at), at=at))
        at += step
    return tuple(ticks)


def _title(job: str, bar: TimelineBar) -> str:
    """The hover text of a bar (times in UTC: SVG titles are not localized)."""
    span = (f"{bar.start.isoformat(' ', 'seconds')[:19]} to "
            f"{bar.end.isoformat(' ', 'seconds')[11:19]} UTC")
    if bar.runs == 1:
        seconds = (bar.end - bar.start).total_seconds()
        return (f"{job}: run {(bar.run_id or '')[:8]}, {bar.status}, {span} "
                f"({seconds:.1f} s)")
    counts = ", ".join(f"{c.count} {_WORDS[c.status]}" for c in bar.counts)
    return f"{job}: {bar.runs} runs, {counts}, {span}"


_WORDS = {RunStatus.SUCCESS: "succeeded", RunStatus.FAILURE: "failed",
          RunStatus.CANCELED: "canceled", RunStatus.QUEUED: "queued",
          RunStatus.STARTING: "starting", RunStatus.STARTED: "running"}
