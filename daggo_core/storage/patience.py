"""Calls that must wait out an unreachable database: tried again for the retry window."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from daggo_core.errors import StorageError

__all__ = ["patiently"]

T = TypeVar("T")
logger = logging.getLogger("daggo.storage")

#: The longest pause between two tries.
_MAX_BACKOFF_SECONDS = 2.0


def patiently(call: Callable[[], T], retry_seconds: float) -> T:
    """`call()`, tried again with backoff while it fails transiently (the database
    unreachable, restarting, busy), for up to `retry_seconds`; any other StorageError (a
    wrong password, a file that is no database) is raised at once.

    For what a worker does before its run is under way (opening storage, reading its
    run), whose reads would otherwise give up after a few tries.
    """
    deadline = time.monotonic() + retry_seconds
    delay = 0.1
    while True:
        try:
            return call()
        except StorageError as exc:
            if not exc.transient or time.monotonic() + delay > deadline:
                raise
            logger.warning("%s; trying again for up to %.0f s", exc,
                           deadline - time.monotonic())
        time.sleep(delay)
        delay = min(delay * 2, _MAX_BACKOFF_SECONDS)
