"""Group commit: what is submitted while a write is under way is written together next.

One transaction, and one COMMIT, per group instead of per submission: for one-item
pushes the write (its transaction, its lock, its thread hops) and not the request bounded
how many a server took per second. A `GroupCommit` writes on a thread of its own, started
by the first submission and ended after `linger` s without one; a caller waits on the
future `submit` returns (an async caller through `asyncio.wrap_future`, holding no
thread while it waits).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

__all__ = ["GroupClosedError", "GroupCommit"]

T = TypeVar("T")
R = TypeVar("R")


class GroupClosedError(RuntimeError):
    """Submitted to a `GroupCommit` that was closed."""


class GroupCommit(Generic[T, R]):
    """Writes submitted values in groups with `write`, which gets up to `most` of them
    (by `size`; a larger value alone) in the order submitted and returns one outcome per
    value: its result, or the exception its future raises. When `write` itself raises,
    every value of the group gets that exception."""

    def __init__(self, write: Callable[[Sequence[T]], Sequence[R | BaseException]], *,
                 name: str, most: int, size: Callable[[T], int] = lambda _: 1,
                 linger: float = 10.0) -> None:
        self._write = write
        self._name = name
        self._most = most
        self._size = size
        self._linger = linger
        self._pending: deque[tuple[T, Future[R]]] = deque()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, value: T) -> Future[R]:
        """Queue `value` for the next group; its future holds its outcome."""
        future: Future[R] = Future()
        with self._changed:
            if self._closed:
                raise GroupClosedError(f"{self._name} is closed: the server is stopping")
            self._pending.append((value, future))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name,
                                                daemon=True)
                self._thread.start()
            else:
                self._changed.notify()
        return future

    def close(self) -> None:
        """Take no more values; return once those submitted are written."""
        with self._changed:
            self._closed = True
            thread = self._thread
            self._changed.notify()
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _run(self) -> None:
        try:
            while (group := self._next_group()) is not None:
                self._settle(group)
        except BaseException as exc:  # a bug here: no caller may wait for ever
            with self._changed:
                self._thread = None
                failed, self._pending = list(self._pending), deque()
            for _, future in failed:
                if future.set_running_or_notify_cancel():
                    future.set_exception(exc)
            raise

    def _settle(self, group: list[tuple[T, Future[R]]]) -> None:
        """Write `group` and give each value's future its outcome."""
        if not group:
            return
        try:
            outcomes: Sequence[R | BaseException] = self._write([value for value, _ in group])
            if len(outcomes) != len(group):
                raise RuntimeError(f"{self._name}: {len(outcomes)} outcomes were written "
                                   f"for {len(group)} values")
        except BaseException as exc:
            outcomes = [exc] * len(group)
        for (_, future), outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    def _next_group(self) -> list[tuple[T, Future[R]]] | None:
        """The values to write next; None, ending the thread, after `linger` s without."""
        with self._changed:
            while not self._pending:
                if (self._closed or not self._changed.wait(self._linger)) and not self._pending:
                    self._thread = None
                    return None
            group: list[tuple[T, Future[R]]] = []
            total = 0
            while self._pending and (not group or total + self._size(self._pending[0][0])
                                     <= self._most):
                value, future = self._pending.popleft()
                # A future canceled before its write (its caller gave up) is not written.
                if future.set_running_or_notify_cancel():
                    total += self._size(value)
                    group.append((value, future))
            return group
