"""How the admin pages show times, durations and cron expressions (Jinja filters)."""

from __future__ import annotations

import datetime as dt

from cron_descriptor import get_description
from markupsafe import Markup

__all__ = ["cron_words", "duration_words", "local_time", "relative_time"]


def local_time(at: dt.datetime | None) -> Markup:
    """A `<time>` of `at` in UTC, which the pages' script shows in the browser's zone
    (UTC on hover); an empty string for None."""
    if at is None:
        return Markup("")
    utc = at.astimezone(dt.UTC)
    return Markup('<time datetime="{}" data-local>{}</time>').format(
        utc.isoformat(), utc.strftime("%Y-%m-%d %H:%M:%S UTC"))


def relative_time(at: dt.datetime | None, now: dt.datetime | None = None) -> Markup:
    """A `<time>` of `at` as how long ago it was ("just now", "42 s ago", "5 min ago",
    "3 h ago", "2 days ago"), its UTC time on hover; an empty string for None."""
    if at is None:
        return Markup("")
    utc = at.astimezone(dt.UTC)
    seconds = max(0.0, ((now or dt.datetime.now(dt.UTC)) - utc).total_seconds())
    if seconds < 10:
        words = "just now"
    elif seconds < 60:
        words = f"{int(seconds)} s ago"
    elif seconds < 3_600:
        words = f"{int(seconds // 60)} min ago"
    elif seconds < 86_400:
        words = f"{int(seconds // 3_600)} h ago"
    else:
        days = int(seconds // 86_400)
        words = f"{days} day{'s' if days > 1 else ''} ago"
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        utc.isoformat(), utc.strftime("%Y-%m-%d %H:%M:%S UTC"), words)


def duration_words(seconds: float | None) -> str:
    """`seconds` as a person says it: "under 1 ms", "2.5 ms", "250 ms", "4.2 s", "42 s",
    "3 min 5 s", "2 h 4 min", "3 days 2 h"; an empty string for None."""
    if seconds is None:
        return ""
    if seconds < 0.001:
        return "under 1 ms"
    if seconds < 1:
        ms = seconds * 1000
        return f"{ms:.1f} ms" if ms < 10 else f"{ms:.0f} ms"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days > 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    if minutes:
        return f"{minutes} min" + (f" {secs} s" if secs else "")
    return f"{secs} s"


def cron_words(cron: str) -> str:
    """A cron expression in words ("At 03:00 AM, on day 1 of the month, only in
    January"), or the expression itself when it cannot be put in words."""
    try:
        return str(get_description(cron))
    except Exception:  # the library's own errors: it takes a few forms croniter does not
        return cron
