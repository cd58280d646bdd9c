"""Following a run through the server's event stream (`GET /rpc/Runs.Stream`), resumed
with `Last-Event-ID` when the connection drops."""

from __future__ import annotations

import json
import queue
import threading
import time

from daggo_core.client.http import RpcClient
from daggo_core.errors import DaggoError, ServerUnreachableError, StorageError

__all__ = ["RunStream"]

STREAM_PATH = "/rpc/Runs.Stream"
_END = "end"
_CHANGE = "change"


class RunStream:
    """Reads the run's events on a thread from `start()` on; `wait` returns as soon as
    the run may have changed (a step or run transition, or its end; with `every_event`,
    a log line too).

    A dropped connection is reopened from the last event received (its `id` sent as
    `Last-Event-ID`), for up to `retry_seconds` of failing attempts in a row; after that,
    or on an error retrying cannot fix, `wait` raises it. `after` (a `Runs.Events`
    cursor) starts the stream after the events a caller has already read.
    """

    def __init__(self, client: RpcClient, run_id: str, *, retry_seconds: float = 30.0,
                 retry_interval: float = 0.2, every_event: bool = False,
                 after: str | None = None) -> None:
        self._client = client
        self.run_id = run_id
        self.every_event = every_event
        self.retry_seconds = retry_seconds
        self.retry_interval = retry_interval
        #: The id of the last event received: where a reconnection resumes.
        self.last_event_id: str | None = after
        #: How many times the stream was opened, and how many events it received.
        self.connections = 0
        self.events = 0
        #: Whether the stream's end arrived (the run ended and all its events were sent).
        self.ended = False
        self._received = False
        self._items: queue.Queue[str | BaseException] = queue.Queue()
        self._thread = threading.Thread(target=self._read, name="daggo-run-stream",
                                        daemon=True)

    def start(self) -> RunStream:
        self._thread.start()
        return self

    def wait(self, timeout: float) -> bool:
        """Block until the run may have changed (True), or `timeout` seconds (False);
        raises what ended the stream if it failed."""
        try:
            items = [self._items.get(timeout=timeout)]
        except queue.Empty:
            return False
        while True:  # a burst of events is one change
            try:
                items.append(self._items.get_nowait())
            except queue.Empty:
                break
        for item in items:
            if isinstance(item, BaseException):
                raise item
        return True

    def _read(self) -> None:
        failing_since: float | None = None
        while True:
            problem: BaseException
            try:
                if self._read_once():
                    self.ended = True
                    self._items.put(_END)
                    return
                if self._received:  # closed before the end: reopen at once
                    failing_since = None
                    continue
                # Closed unread: a failure like an unreachable server, within one budget.
                problem = DaggoError(f"the server closed the stream of run {self.run_id} "
                                     "without sending anything")
            except (ServerUnreachableError, StorageError) as exc:
                problem = exc
            except BaseException as exc:  # handed to the waiting thread
                self._items.put(exc)
                return
            now = time.monotonic()
            if self._received or failing_since is None:  # the first failure in a row
                failing_since = now
            if now - failing_since >= self.retry_seconds:
                self._items.put(DaggoError(
                    f"{problem}; stopped following run {self.run_id} (it goes on: see "
                    f"`daggo runs show {self.run_id}`)"))
                return
            time.sleep(self.retry_interval)

    def _read_once(self) -> bool:
        """Read one connection of the stream; True once its end arrived. A connection
        that closes before it (after an `error` message: the server stopping, or this
        client reading too slowly) is reopened by the caller from the last id."""
        self.connections += 1
        self._received = False
        with self._client.events(STREAM_PATH, {"run_id": self.run_id},
                                 last_event_id=self.last_event_id) as messages:
            for message in messages:
                self._received = True
                if message.id:
                    self.last_event_id = message.id
                if message.event == _END:
                    return True
                if message.event == "event":
                    self.events += 1
                    if self.every_event or json.loads(message.data).get("kind") != "LOG":
                        self._items.put(_CHANGE)
        return False
