"""`ErrorInfo` from an exception: its type, message and the traceback that matters.

An exception raised by user code is shown from the user's first frame: the engine's own
frames (asyncio, the thread hand-off, daggo, the serializers, the import machinery) that
called the user's code say nothing about the failure. The same goes for each exception
it was raised from.
An error daggo raised on the user's behalf (an output that does not match its type) has
no user frame: it is shown without a traceback, its message naming the op.
"""

from __future__ import annotations

import os
import traceback

from daggo_core.errors import UserError
from daggo_core.storage.records import ErrorInfo, ErrorSource

__all__ = ["error_info"]

_ENGINE_FRAMES = (*(os.sep + part + os.sep
                    for part in ("asyncio", "concurrent", "daggo_core", "cattrs", "json")),
                  "<frozen importlib.")


def error_info(exc: BaseException, *, from_user_code: bool = False) -> ErrorInfo:
    """`exc` as ErrorInfo; with `from_user_code` it is the user's error (source USER), and
    its traceback starts at the first frame outside the engine."""
    report = traceback.TracebackException.from_exception(exc)
    if from_user_code:
        _trim_engine_frames(report)
    return ErrorInfo(
        type=f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins."),
        message=str(exc),
        traceback="".join(report.format()),
        source=ErrorSource.USER if from_user_code else None,
        hint=exc.hint if isinstance(exc, UserError) else "",
    )


def _trim_engine_frames(report: traceback.TracebackException) -> None:
    seen: set[int] = set()
    pending: list[traceback.TracebackException | None] = [report]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        frames = list(current.stack)
        while frames and any(part in frames[0].filename for part in _ENGINE_FRAMES):
            frames.pop(0)
        current.stack = traceback.StackSummary.from_list(frames)
        pending += [current.__cause__, current.__context__]
