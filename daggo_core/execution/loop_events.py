"""An event loop's `asyncio.Event`s: set from any thread, waited for with a timeout.

`wait_event` uses `asyncio.timeout()`, not `asyncio.wait_for()`: on Python 3.11,
`wait_for` swallows a cancellation that arrives as the event is set, so a task cancelled
at that moment (a coordinator being stopped just as a run ends) would carry on forever.
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["set_event", "wait_event"]


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


async def wait_event(event: asyncio.Event, timeout: float) -> bool:
    """Wait up to `timeout` seconds for `event`; True if it is set. A cancellation always
    goes through."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await event.wait()
    return event.is_set()
