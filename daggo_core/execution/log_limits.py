"""Caps on what a run's captured output may store: a line's size and the run's total.

One op printing a 50 MB line must not become a 50 MB event, a 50 MB run page and a
database filling up. A line longer than `execution.max_log_line_bytes` is cut there and
ends with a notice of how many bytes were dropped; once a run's lines reach
`execution.max_run_log_bytes`, later lines are dropped and one LOG_LIMIT_REACHED event
says so; the run's final event tells how much was dropped in all. Sizes are bytes of
UTF-8 (log data: of its JSON).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from attrs import frozen

from daggo_core.config import ExecutionConfig
from daggo_core.serde import unstructure
from daggo_core.storage.records import Event, EventKind

__all__ = [
    "DROPPED_BYTES",
    "DROPPED_LINES",
    "LineBuffer",
    "LogLimits",
    "RunLogBudget",
    "cut_line",
    "dropped_notice",
    "utf8_size",
]

_LINE_SETTING = "execution.max_log_line_bytes"
_RUN_SETTING = "execution.max_run_log_bytes"
#: Keys of a run's final event's data: how many log lines, and bytes, it dropped.
DROPPED_LINES, DROPPED_BYTES = "log_lines_dropped", "log_bytes_dropped"


@frozen(kw_only=True)
class LogLimits:
    """The caps of one run's captured output, in bytes."""

    max_line_bytes: int
    max_run_bytes: int

    @classmethod
    def of(cls, execution: ExecutionConfig) -> LogLimits:
        return cls(max_line_bytes=execution.max_log_line_bytes,
                   max_run_bytes=execution.max_run_log_bytes)


def utf8_size(text: str) -> int:
    """Bytes of `text` in UTF-8 (a lone surrogate counts its three bytes)."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def cut_line(text: str, max_bytes: int, dropped: int = 0) -> str:
    """`text` if it fits in `max_bytes` and nothing was `dropped` from it already; else
    its first `max_bytes` bytes (whole characters) and a notice of what was dropped."""
    if not dropped and len(text) * 4 <= max_bytes:  # fits whatever its characters are
        return text
    encoded = text.encode("utf-8", "surrogatepass")
    if not dropped and len(encoded) <= max_bytes:
        return text
    kept = encoded[:max_bytes].decode("utf-8", "ignore")  # drops a split last character
    dropped += len(encoded) - utf8_size(kept)
    return (f"{kept} [… {dropped:,} bytes cut: lines are kept up to {max_bytes:,} bytes, "
            f"raise {_LINE_SETTING} to keep more]")


def dropped_notice(final_event_data: dict[str, Any]) -> str | None:
    """What a run's final event says its log dropped, for people; None if nothing."""
    lines, size = final_event_data.get(DROPPED_LINES), final_event_data.get(DROPPED_BYTES)
    if not isinstance(lines, int) or not isinstance(size, int):
        return None
    limit = final_event_data.get("max_run_log_bytes")
    kept = f" after keeping {limit:,} bytes" if isinstance(limit, int) else ""
    return (f"captured output limit reached: {lines:,} log lines ({size:,} bytes) were "
            f"dropped{kept}; raise {_RUN_SETTING} to keep more")


class LineBuffer:
    """The unterminated end of a stream's output, kept up to a line's cap: a line printed
    in pieces never holds more than `max_bytes` characters in memory."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._parts: list[str] = []
        self._kept = 0  # characters in _parts
        self._dropped = 0  # bytes past the cap

    def feed(self, text: str) -> list[str]:
        """Add output; returns the lines it completed, each cut to the cap."""
        *complete, rest = text.split("\n")
        lines = []
        for piece in complete:
            self._add(piece)
            lines.append(self.take())
        self._add(rest)
        return lines

    def take(self) -> str:
        """The buffered line (cut to the cap), emptying the buffer."""
        line = cut_line("".join(self._parts), self.max_bytes, self._dropped)
        self._parts, self._kept, self._dropped = [], 0, 0
        return line

    def __bool__(self) -> bool:
        return bool(self._kept or self._dropped)

    def _add(self, piece: str) -> None:
        room = self.max_bytes - self._kept
        if len(piece) > room:
            self._dropped += utf8_size(piece[room:])
            piece = piece[:room]
        if piece:
            self._parts.append(piece)
            self._kept += len(piece)


class RunLogBudget:
    """Turns one run's log lines into events while they fit in `max_run_bytes`.

    Thread-safe: steps on many threads log at once. The first line that does not fit is
    replaced by a LOG_LIMIT_REACHED event; it and every later line are counted, not stored.
    """

    def __init__(self, run_id: str, limits: LogLimits) -> None:
        self.run_id = run_id
        self.limits = limits
        self.stored_bytes = 0
        self.dropped_lines = 0
        self.dropped_bytes = 0
        self._lock = threading.Lock()

    def event(self, step_key: str, level: str, message: str,
              data: dict[str, Any] | None = None) -> Event | None:
        """The event storing this line, the one saying the run's cap was reached, or None
        when the line is dropped."""
        value, data_size = self._data(data or {})
        size = utf8_size(message) + data_size
        with self._lock:
            if self.dropped_lines == 0 and self.stored_bytes + size <= self.limits.max_run_bytes:
                self.stored_bytes += size
                return Event(run_id=self.run_id, kind=EventKind.LOG, step_key=step_key,
                             level=level, message=message, data=value)
            self.dropped_lines += 1
            self.dropped_bytes += size
            if self.dropped_lines > 1:
                return None
            stored = self.stored_bytes
        return Event(
            run_id=self.run_id, kind=EventKind.LOG_LIMIT_REACHED, step_key=step_key,
            level="WARNING",
            message=f"captured output limit reached: this run stored {stored:,} bytes of log "
                    f"lines and may keep {self.limits.max_run_bytes:,}; this line "
                    f"({size:,} bytes) and every later one are dropped. Raise {_RUN_SETTING} "
                    "to keep more",
            data={"stored_bytes": stored, "max_run_log_bytes": self.limits.max_run_bytes})

    def tally(self) -> tuple[str, dict[str, Any]]:
        """What was dropped, for the run's final event: a suffix for its message and its
        data (both empty if nothing was)."""
        if not self.dropped_lines:
            return "", {}
        return (f" ({self.dropped_lines:,} log lines, {self.dropped_bytes:,} bytes, dropped "
                f"over {_RUN_SETTING})",
                {DROPPED_LINES: self.dropped_lines, DROPPED_BYTES: self.dropped_bytes,
                 "max_run_log_bytes": self.limits.max_run_bytes})

    def _data(self, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """`data` as JSON-able values and its JSON's size; replaced by a note when over a
        line's cap."""
        if not data:
            return {}, 0
        try:
            value = dict(unstructure(data))
            text = json.dumps(value)
        except (TypeError, ValueError):
            value = {key: repr(item) for key, item in data.items()}
            text = json.dumps(value)
        size = len(text)  # JSON is ASCII: one byte a character
        if size <= self.limits.max_line_bytes:
            return value, size
        note = {"cut": f"log data of {size:,} bytes dropped: over {_LINE_SETTING} "
                       f"({self.limits.max_line_bytes:,})"}
        return note, len(json.dumps(note))
