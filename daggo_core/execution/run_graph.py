"""Which steps of a run may start now: dependency order under a concurrency cap.

Ready steps start in the job's execution order as long as fewer than `max_concurrent`
run; a step that succeeded releases the steps waiting only for it, from its task's done
callback, so the next step starts without a pass over the graph. Nothing here scans the
whole graph per step: a 10,000-op run costs what a 200-op run does, per op.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable, Collection, Coroutine
from typing import Any

from daggo_core.definitions.jobs import JobDefinition

__all__ = ["RunGraph"]


class RunGraph:
    """The steps of one run still to execute, and those executing now (on one loop)."""

    def __init__(self, job: JobDefinition, max_concurrent: int) -> None:
        self.job = job
        self.max_concurrent = max_concurrent
        self._position = {name: i for i, name in enumerate(job.order)}
        self._downstream: dict[str, list[str]] = {}
        for name in job.order:
            for upstream in job.upstream(name):
                self._downstream.setdefault(upstream, []).append(name)
        self._ready: list[tuple[int, str]] = []
        self._waiting: dict[str, set[str]] = {}
        self._running: dict[asyncio.Task[bool], str] = {}
        self._done: asyncio.Future[None] | None = None
        self._start_step: Callable[[str], Coroutine[Any, Any, bool]] | None = None
        self._stopping: Callable[[], bool] = lambda: False
        self._on_abandoned: Callable[[str], None] = lambda name: None

    async def execute(self, start_step: Callable[[str], Coroutine[Any, Any, bool]], *,
                      settled: Collection[str], succeeded: Collection[str],
                      stopping: Callable[[], bool],
                      on_abandoned: Callable[[str], None]) -> None:
        """Run every step not `settled` yet (`succeeded` ones feed their downstream)
        through `start_step(name) -> succeeded?`, until none runs and none may start.

        While `stopping()` holds nothing new starts; a step task cancelled by `abandon()`
        is reported to `on_abandoned(name)`. An unexpected error of a step task ends the
        graph with that error.
        """
        self._start_step, self._stopping, self._on_abandoned = start_step, stopping, on_abandoned
        available = set(succeeded)
        for name in self.job.order:
            if name in settled:
                continue
            deps = {u for u in self.job.upstream(name) if u not in available}
            if deps:
                self._waiting[name] = deps
            else:
                heapq.heappush(self._ready, (self._position[name], name))
        self._done = asyncio.get_running_loop().create_future()
        self._start_ready()
        await self._done

    def abandon(self) -> None:
        """Cancel every step task still running (steps that ignored a stop request)."""
        for task in list(self._running):
            task.cancel()

    def _start_ready(self) -> None:
        """Start ready steps while slots are free; resolve the graph once nothing runs."""
        assert self._done is not None and self._start_step is not None
        ready, running = self._ready, self._running
        loop = self._done.get_loop()
        while ready and len(running) < self.max_concurrent and not self._stopping():
            _, name = heapq.heappop(ready)
            task = loop.create_task(self._start_step(name))
            running[task] = name
            task.add_done_callback(self._on_step_done)
        if not running:
            self._done.set_result(None)

    def _on_step_done(self, task: asyncio.Task[bool]) -> None:
        name = self._running.pop(task)
        done = self._done
        if done is None or done.done():
            return
        try:
            if task.cancelled():
                self._on_abandoned(name)
            elif (error := task.exception()) is not None:
                raise error
            elif task.result():
                self._release_downstream(name)
            self._start_ready()
        except Exception as exc:
            done.set_exception(exc)

    def _release_downstream(self, name: str) -> None:
        """Step `name` succeeded: its downstream steps waiting only for it become ready."""
        waiting, ready = self._waiting, self._ready
        for downstream in self._downstream.get(name, ()):
            deps = waiting.get(downstream)
            if deps is None:
                continue
            deps.discard(name)
            if not deps:
                del waiting[downstream]
                heapq.heappush(ready, (self._position[downstream], downstream))
