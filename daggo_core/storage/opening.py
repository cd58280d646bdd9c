"""Opening storage while the database is unreachable: tried again for the retry window."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from daggo_core.errors import StorageError
from daggo_core.storage.base import Storage

__all__ = ["open_patiently"]

logger = logging.getLogger("daggo.storage")

#: The longest pause between two tries.
_MAX_BACKOFF_SECONDS = 2.0


def open_patiently(open_storage: Callable[[], Storage], retry_seconds: float) -> Storage:
    """`open_storage()`, tried again with backoff while it fails transiently (the server
    refuses connections, is starting or shutting down), for up to `retry_seconds`; any
    other StorageError (a wrong password, a file that is no database) is raised at once.
    """
    deadline = time.monotonic() + retry_seconds
    delay = 0.1
    while True:
        try:
            return open_storage()
        except StorageError as exc:
            if not exc.transient or time.monotonic() + delay > deadline:
                raise
            logger.warning("%s; trying again for up to %.0f s", exc,
                           deadline - time.monotonic())
        time.sleep(delay)
        delay = min(delay * 2, _MAX_BACKOFF_SECONDS)
