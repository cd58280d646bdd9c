"""An ASGI application served by Hypercorn on a loopback port, or a whole app served as
`daggo run` serves it, in a thread, for tests."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from hypercorn.asyncio import serve
from hypercorn.config import Config as HypercornConfig

if TYPE_CHECKING:
    from daggo_core.app import DaggoApp

__all__ = ["app_served", "served_on"]


@contextlib.contextmanager
def served_on(asgi: Any, port: int, *, name: str = "test-server") -> Iterator[None]:
    """Serve `asgi` (with its lifespan) on 127.0.0.1:`port` until the block ends; then
    shut the server down, failing if it has not stopped within 30 s."""
    config = HypercornConfig()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def run() -> None:
        loop.run_until_complete(serve(asgi, config, shutdown_trigger=stop.wait))
        # As asyncio.run does: threads of to_thread() calls end before the loop closes.
        loop.run_until_complete(loop.shutdown_default_executor())

    server = threading.Thread(target=run, name=name)
    server.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        server.join(30)
        assert not server.is_alive(), f"{name} did not shut down within 30 s"
        loop.close()


@contextlib.contextmanager
def app_served(app: DaggoApp, *, name: str = "test-server") -> Iterator[Callable[[], None]]:
    """`app.serve()` (its runtime too) on `admin.host:admin.port`, bound before the
    block starts, until the block ends or the function it yields is called; then wait
    for the server to stop, failing if it has not within 30 s."""
    listening = app.bind()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def run() -> None:
        loop.run_until_complete(app.serve(stop, listening=listening))
        loop.run_until_complete(loop.shutdown_default_executor())

    def stopping() -> None:
        loop.call_soon_threadsafe(stop.set)

    server = threading.Thread(target=run, name=name)
    server.start()
    try:
        yield stopping
    finally:
        stopping()
        server.join(30)
        assert not server.is_alive(), f"{name} did not shut down within 30 s"
        loop.close()
