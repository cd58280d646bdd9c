"""The queues of a running app: one ingestor per queue, its loader, and the retrier."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from daggo_core.definitions.definitions import Definitions
from daggo_core.queues.ingestion import Ingestor
from daggo_core.queues.loaders import LoaderRunner
from daggo_core.queues.retries import ItemRetrier, RetryStorage

__all__ = ["QueueRuntime"]


class QueueRuntime:
    """What runs for the app's queues: `run_forever()` runs every loader, delivering
    through `ingestor(name)` (the app's one ingestor per queue, shared with its routes
    and API), and the item retrier. `on_accepted` is called after retried runs were
    queued (to wake this process's coordinator)."""

    def __init__(self, storage: RetryStorage, definitions: Definitions, *,
                 ingestor: Callable[[str], Ingestor],
                 on_accepted: Callable[[], None] | None = None) -> None:
        self.storage = storage
        self.definitions = definitions
        self.ingestor = ingestor
        self.retrier = ItemRetrier(storage, definitions.jobs_by_name, on_queued=on_accepted)

    def loaders(self) -> list[LoaderRunner]:
        """A runner for each queue's loader."""
        return [LoaderRunner(self.ingestor(queue.name), queue.loader)
                for queue in self.definitions.queues if queue.loader is not None]

    async def run_forever(self) -> None:
        """Run the loaders and the retrier until canceled (then cancel them all)."""
        tasks: list[asyncio.Task[Any]] = [
            asyncio.create_task(runner.run_forever(), name=f"daggo-loader-{runner.name}")
            for runner in self.loaders()]
        tasks.append(asyncio.create_task(self.retrier.run_forever(), name="daggo-retrier"))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
