"""`ErrorInfo` from an exception: its type, message and the traceback that matters.

An exception raised by user code is shown from the user's first frame: the engine's own
frames (asyncio, the thread hand-off, daggo's execution package) above it say nothing
about the failure.
"""

from __future__ import annotations

import os
import traceback
from types import TracebackType

from daggo_core.storage.records import ErrorInfo

__all__ = ["error_info"]

_ENGINE_FRAMES = (os.sep + "asyncio" + os.sep, os.sep + "concurrent" + os.sep,
                  os.sep + "daggo_core" + os.sep + "execution" + os.sep)


def error_info(exc: BaseException, *, from_user_code: bool = False) -> ErrorInfo:
    """`exc` as ErrorInfo; with `from_user_code`, its traceback starts at the first frame
    outside the engine."""
    tb = exc.__traceback__
    if from_user_code:
        tb = _skip_engine_frames(tb)
    return ErrorInfo(
        type=f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins."),
        message=str(exc),
        traceback="".join(traceback.format_exception(type(exc), exc, tb)),
    )


def _skip_engine_frames(tb: TracebackType | None) -> TracebackType | None:
    while tb is not None and tb.tb_next is not None and any(
        part in tb.tb_frame.f_code.co_filename for part in _ENGINE_FRAMES
    ):
        tb = tb.tb_next
    return tb
