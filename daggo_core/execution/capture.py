"""Route print() output and logging records of running steps into their step's event log.

A context variable names the step a piece of code runs for; it follows the step into
its task and into the thread a sync op runs on, so output of steps running in parallel
lands in the right step's log. Lines are cut to the run's line cap (`log_limits`).
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from daggo_core.execution.log_limits import LineBuffer, cut_line

__all__ = ["StepOutput", "capturing", "current_step"]

#: Emits one log line of a step: (level, message, data).
Emit = Callable[[str, str, dict[str, Any] | None], None]
_STREAMS = ("STDOUT", "STDERR")


class StepOutput:
    """Where one step's captured output goes: complete lines are emitted as log events,
    each cut to `max_line_bytes` (see `log_limits.cut_line`)."""

    def __init__(self, emit: Emit, max_line_bytes: int) -> None:
        self._emit = emit
        self.max_line_bytes = max_line_bytes
        self._partial = {stream: LineBuffer(max_line_bytes) for stream in _STREAMS}
        self._lock = threading.Lock()

    def write(self, stream: str, text: str) -> None:
        with self._lock:
            lines = self._partial[stream].feed(text)
        for line in lines:
            self._emit(stream, line, None)

    def log(self, level: str, message: str, data: dict[str, Any] | None = None) -> None:
        """Emit one log record of the step at `level`."""
        self._emit(level, cut_line(message, self.max_line_bytes), data)

    def flush(self) -> None:
        """Emit any unterminated last line."""
        with self._lock:
            pending = [(s, buffer.take()) for s, buffer in self._partial.items() if buffer]
        for stream, text in pending:
            self._emit(stream, text, None)


current_step: contextvars.ContextVar[StepOutput | None] = contextvars.ContextVar(
    "daggo_current_step", default=None
)


class _Tee(io.TextIOBase):
    """Stands in for sys.stdout/sys.stderr: step output is captured and still printed."""

    def __init__(self, original: TextIO, stream: str) -> None:
        self.original = original
        self.stream = stream

    def write(self, text: str) -> int:
        target = current_step.get()
        if target is not None:
            target.write(self.stream, text)
        return self.original.write(text)

    def flush(self) -> None:
        self.original.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.original.isatty()

    @property
    def buffer(self) -> Any:
        return self.original.buffer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)

    def fileno(self) -> int:
        return self.original.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]  # read-only; stubs: an attribute
        return getattr(self.original, "encoding", "utf-8")


class _StepLogHandler(logging.Handler):
    """Sends records logged by user code during a step to that step's log."""

    def emit(self, record: logging.LogRecord) -> None:
        target = current_step.get()
        if target is None or record.name.startswith("daggo"):
            return
        try:
            target.log(record.levelname, self.format(record))
        except Exception:
            self.handleError(record)


_lock = threading.Lock()
_users = 0
_saved: dict[str, Any] = {}


@contextlib.contextmanager
def capturing() -> Iterator[None]:
    """Install the stdout/stderr tees and the logging handler while any run executes."""
    global _users
    with _lock:
        if _users == 0:
            _saved.update(handler=_StepLogHandler())
            sys.stdout = _Tee(sys.stdout, "STDOUT")
            sys.stderr = _Tee(sys.stderr, "STDERR")
            logging.getLogger().addHandler(_saved["handler"])
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                # Put back only our own tees: whoever replaced them meanwhile keeps theirs.
                if isinstance(sys.stdout, _Tee):
                    sys.stdout = sys.stdout.original
                if isinstance(sys.stderr, _Tee):
                    sys.stderr = sys.stderr.original
                logging.getLogger().removeHandler(_saved["handler"])
                _saved.clear()
