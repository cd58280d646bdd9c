"""Setting an event loop's `asyncio.Event` from whichever thread is at hand."""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["set_event"]


def set_event(loop: asyncio.AbstractEventLoop | None, event: asyncio.Event | None) -> None:
    """Set `event` of `loop`: at once on the loop's own thread, else through the loop; a
    no-op when either is missing or the loop has closed."""
    if loop is None or event is None or loop.is_closed():
        return
    try:
        running_here = asyncio.get_running_loop() is loop
    except RuntimeError:
        running_here = False
    if running_here:
        event.set()
    else:
        with contextlib.suppress(RuntimeError):  # closed meanwhile: nobody waits
            loop.call_soon_threadsafe(event.set)
