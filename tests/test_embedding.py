"""An app that mounts daggo's ASGI app in its own server runs daggo's runtime in its own
lifespan: runs launched through it execute."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen

import daggo_core
from daggo_core import Context, NoInput, dag
from daggo_core.config import default_config
from daggo_core.storage.records import RunStatus
from daggo_core.testing.processes import free_port, wait_for
from daggo_core.testing.serving import served_on

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@frozen
class Out:
    n: int


def one(ctx: Context, inp: NoInput) -> Out:
    return Out(1)


JOB = dag.job("one").add(dag.op("one", one)).build()


def embedding_app(app: daggo_core.DaggoApp) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """A host application: `/launch` of its own, daggo's admin mounted for the rest, and
    daggo's runtime started and stopped in its lifespan."""

    async def host(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await app.start()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await app.stop()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif scope["path"] == "/launch":
            run = await asyncio.to_thread(app.launch, "one")
            body = json.dumps({"run_id": run.id}).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
        else:
            await app.asgi(scope, receive, send)

    return host


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[daggo_core.DaggoApp, str]]:
    cfg = default_config()
    cfg.database.sqlite.path = str(tmp_path / "daggo.sqlite")
    cfg.execution.executor = "in_process"
    cfg.scheduler.enabled = False
    app = daggo_core.open(cfg, JOB)
    port = free_port()
    try:
        with served_on(embedding_app(app), port, name="host-server"):
            yield app, f"http://127.0.0.1:{port}"
    finally:
        app.close()  # the lifespan closed it already, unless the server failed to start


def get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_runs_launched_through_the_host_execute(served: tuple[daggo_core.DaggoApp, str]) -> None:
    app, url = served
    health = wait_for(lambda: _health(url), 20, "the host to serve daggo's health")
    assert health["components"] == {"coordinator": "running", "monitor": "running",
                                    "scheduler": "disabled",
                                    "backfills": "running", "executor": "running"}
    run_id = get(f"{url}/launch")["run_id"]
    final = wait_for(lambda: (run := app.storage.get_run(run_id)).is_finished and run, 20,
                     "the launched run to finish")
    assert final.status is RunStatus.SUCCESS


def _health(url: str) -> dict[str, Any] | None:
    try:
        return get(f"{url}/healthz")
    except OSError:
        return None
