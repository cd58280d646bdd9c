"""The app `queue_speed.py` measures: queue "bench" of `Item`s, taking them at the route
`/ingest/bench` (and through `Queues.Push`), with one one-op job, `take`.

    python benchmarks/queue_app.py        # serve it without its runtime: ingestion only
    daggo run -f benchmarks/queue_app.py  # serve it as usual (the latency rows)

Without its runtime nothing executes the items' runs: they stay QUEUED, so what is timed
is ingestion alone (the request, the payload check, the item, its run and its event
stored). `admin.*` and `database.*` come from the usual settings (`DAGGO_*` variables).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Any

from attrs import frozen

import daggo_core
from daggo_core import Batch, Context, Definitions, NoInput, Queue, QueueDefinition, dag

QUEUE = "bench"
ROUTE = "/ingest/bench"


@frozen
class Item:
    n: int


@frozen
class Taken:
    n: int


def take(ctx: Context, inp: NoInput) -> Taken:
    return Taken(daggo_core.queue_payload(ctx, Item).n)


TAKE = dag.job("take").add(dag.op("take", take)).build()


class CountingSource:
    """A poll loader over the numbers 0 to `total` - 1, `batch` at a time; its cursor is
    the next number."""

    def __init__(self, total: int, batch: int) -> None:
        self.total, self.batch = total, batch

    def __call__(self, cursor: str | None) -> Batch[Item]:
        start = int(cursor or 0)
        end = min(start + self.batch, self.total)
        return Batch(items=[Item(n) for n in range(start, end)], cursor=str(end),
                     lag=self.total - end)


def bench_queue(loader: Callable[[str | None], Batch[Item]] | None = None,
                ) -> QueueDefinition[Item]:
    queue = Queue[Item](QUEUE).route(ROUTE).jobs(TAKE)
    if loader is not None:
        queue = queue.loader(loader, mode="poll", poll_every=60.0)
    return queue.build()


def definitions(loader: Callable[[str | None], Batch[Item]] | None = None) -> Definitions:
    return Definitions(jobs=[TAKE], queues=[bench_queue(loader)])


defs = definitions()


def without_lifespan(asgi: Any) -> Any:
    """`asgi` with its lifespan answered here: the app's runtime never starts."""
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await asgi(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    return app


async def serve_without_runtime() -> None:
    """Serve the app's ASGI application (Hypercorn, as `daggo run` does) until SIGTERM or
    SIGINT, without its runtime."""
    from hypercorn.asyncio import serve
    from hypercorn.config import Config as HypercornConfig

    app = daggo_core.open(daggo_core.load_config(), defs)
    try:
        listening = app.bind()
        config = HypercornConfig()
        config.bind = [f"fd://{listening.detach()}"]
        config.accesslog = None
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await serve(without_lifespan(app.asgi), config, shutdown_trigger=stop.wait)
    finally:
        app.close()


if __name__ == "__main__":
    asyncio.run(serve_without_runtime())
