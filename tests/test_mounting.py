"""daggo's ASGI app mounted under a prefix in a host ASGI application, served by
Hypercorn on loopback: the runtime runs for the host's lifespan, links, the reference
page, the spec and redirects are under the prefix, and a job launched over RPC runs."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

import daggo_core
from daggo_core.config import default_config
from daggo_core.errors import DaggoError
from daggo_core.testing.processes import free_port, wait_for
from daggo_core.testing.serving import served_on
from tests.test_embedding import JOB

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGI = Callable[[Scope, Receive, Send], Awaitable[None]]
PREFIX = "/daggo"


def host_app(app: daggo_core.DaggoApp, lifespan: str) -> ASGI:
    """A host routing `/daggo/...` to daggo's ASGI app (its `root_path` set, `path` left
    whole, as the ASGI spec has it) and answering 404 elsewhere. Its lifespan is
    forwarded to daggo's app ("forwarded"), or runs `app.lifespan` as Starlette's
    `lifespan=` does ("own")."""
    daggo = app.asgi

    async def own_lifespan(receive: Receive, send: Send) -> None:
        async with AsyncExitStack() as stack:
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await stack.enter_async_context(app.lifespan(host))
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await stack.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def host(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            if lifespan == "forwarded":
                await daggo(scope, receive, send)
            else:
                await own_lifespan(receive, send)
        elif scope["path"].startswith(f"{PREFIX}/"):
            await daggo({**scope, "root_path": scope.get("root_path", "") + PREFIX},
                        receive, send)
        else:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"not the host's"})

    return host


@pytest.fixture(params=["forwarded", "own"])
def mounted(request: pytest.FixtureRequest,
            tmp_path: Path) -> Iterator[int]:
    """The port of a host serving a daggo app mounted under /daggo."""
    cfg = default_config()
    cfg.database.sqlite.path = str(tmp_path / "daggo.sqlite")
    cfg.execution.executor = "in_process"
    cfg.scheduler.enabled = False
    app = daggo_core.open(cfg, JOB)
    port = free_port()
    with served_on(host_app(app, request.param), port, name="host-server"):
        yield port
    # The host's lifespan shutdown stopped and closed the app. (On a thread of its own:
    # a browser's event loop may be running on this one.)
    with ThreadPoolExecutor(1) as thread, pytest.raises(DaggoError, match="this app is closed"):
        thread.submit(asyncio.run, app.start()).result()


def fetch(port: int, method: str, path: str,
          body: Any = None) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        data = None if body is None else json.dumps(body)
        connection.request(method, path, body=data,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def rpc(port: int, method: str, body: Any) -> Any:
    status, _, text = fetch(port, "POST", f"{PREFIX}/rpc/{method}", body)
    assert status == 200, text
    return json.loads(text)


def _health(port: int) -> dict[str, Any] | None:
    try:
        status, _, text = fetch(port, "GET", f"{PREFIX}/healthz")
    except OSError:
        return None
    return json.loads(text) if status == 200 else None


def links(page: str) -> list[str]:
    return re.findall(r'href="([^"#][^"]*)"', page)


def test_a_job_runs_through_daggo_mounted_under_a_prefix(
        mounted: int) -> None:
    port = mounted
    health = wait_for(lambda: _health(port), 20, "the host to serve daggo's health")
    assert health["components"]["coordinator"] == "running"  # started by the host's lifespan
    run_id = rpc(port, "Jobs.Launch", {"job": "one"})["run"]["id"]
    final = wait_for(lambda: (run := rpc(port, "Runs.Get", {"run_id": run_id})["run"])
                     ["status"] in ("SUCCESS", "FAILURE") and run, 20, "the run to finish")
    assert final["status"] == "SUCCESS"

    for path in (f"{PREFIX}/", f"{PREFIX}/runs/{run_id}"):
        status, _, page = fetch(port, "GET", path)
        assert status == 200
        found = links(page)
        assert f"{PREFIX}/runs/{run_id}" in found or path.endswith(run_id)
        assert found and all(link.startswith(f"{PREFIX}/") for link in found), found

    status, _, docs = fetch(port, "GET", f"{PREFIX}/rpc/docs/")
    assert status == 200
    assert f'<a href="{PREFIX}/rpc/openapi.json">openapi.json</a>' in docs
    assert f"curl -s -X POST http://127.0.0.1:{port}{PREFIX}/rpc/Runs.Get -d " in docs
    assert f"<code>POST {PREFIX}/rpc/&lt;Service&gt;.&lt;Method&gt;</code>" in docs
    status, _, spec = fetch(port, "GET", f"{PREFIX}/rpc/openapi.json")
    assert status == 200 and "/rpc/Jobs.Launch" in json.loads(spec)["paths"]

    status, headers, _ = fetch(port, "GET", f"{PREFIX}/rpc/docs")  # the slash is added
    assert status in (301, 308)
    assert headers["location"].endswith(f"{PREFIX}/rpc/docs/")
    assert fetch(port, "GET", "/rpc/docs/")[0] == 404  # outside the prefix: the host's


def test_the_login_redirects_stay_under_the_prefix(tmp_path: Path) -> None:
    cfg = default_config()
    cfg.database.sqlite.path = str(tmp_path / "daggo.sqlite")
    cfg.scheduler.enabled = False
    cfg.admin.secret_key = "s3cret-token-value"
    app = daggo_core.open(cfg, JOB)

    async def visit() -> None:
        client = app.asgi.test_client()
        page = await client.get(f"{PREFIX}/runs/abc", root_path=PREFIX)
        assert page.status_code == 302
        assert page.headers["Location"] == f"{PREFIX}/login?next=/runs/abc"
        form = await client.get(f"{PREFIX}/login?next=/runs/abc", root_path=PREFIX)
        text = await form.get_data(as_text=True)
        assert f'action="{PREFIX}/login?next=/runs/abc"' in text
        assert f"Path={PREFIX}" in form.headers["Set-Cookie"]  # the CSRF cookie's
        found = re.search(r'name="csrf_token" value="([^"]+)"', text)
        assert found
        login = await client.post(f"{PREFIX}/login?next=/runs/abc", root_path=PREFIX,
                                  form={"secret_key": "s3cret-token-value",
                                        "csrf_token": found[1]})
        assert (login.status_code, login.headers["Location"]) == (302, f"{PREFIX}/runs/abc")
        out = await client.post(f"{PREFIX}/logout", root_path=PREFIX,
                                form={"csrf_token": found[1]})
        assert out.headers["Location"] == f"{PREFIX}/login"

    try:
        asyncio.run(visit())
    finally:
        app.close()


# Last in the module: the browser runs an event loop on this thread from here on.
def test_the_live_pages_streams_are_under_the_prefix(mounted: int, browser: Any) -> None:
    page = browser.new_page()
    try:
        page.goto(f"http://127.0.0.1:{mounted}{PREFIX}/runs")
        assert page.locator("body").get_attribute("data-root") == PREFIX
        page.wait_for_function("window.daggoLive.state().status === 'open'")
    finally:
        page.close()
