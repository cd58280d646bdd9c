"""`POST /rpc/<Service>.<Method>` answered in front of Quart, without its request and
response objects (about two fifths of the event loop's work for a small call).

It takes only calls of a known method, with a body within Quart's
`MAX_CONTENT_LENGTH`: it refuses those the authenticator does not admit as
`daggo_core.web.auth` does (`refusal`), answers the others as the Quart route does
(`daggo_core.rpc.answers.rpc_answer`; a body that does not arrive within Quart's
`BODY_TIMEOUT` gets 408 `body_timeout`) and counts them in the same metrics. Every other
request goes to Quart unchanged; a body too large goes to it as it was read (Quart's
413).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGIReceiveEvent,
    ASGISendCallable,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Scope,
)
from quart import Quart
from werkzeug.datastructures import Headers

from daggo_core.extensions import Authentication
from daggo_core.metrics import DaggoMetrics
from daggo_core.rpc.answers import JSON_CONTENT_TYPE, error_answer, rpc_answer
from daggo_core.rpc.errors import RpcError
from daggo_core.rpc.registry import RpcMethod
from daggo_core.services import Services
from daggo_core.web.auth import refusal

__all__ = ["install_rpc_fast_path"]

ASGIApp = Callable[[Scope, ASGIReceiveCallable, ASGISendCallable], Awaitable[None]]

_PREFIX = "/rpc/"


def install_rpc_fast_path(web: Quart, services: Services, methods: Mapping[str, RpcMethod],
                          metrics: DaggoMetrics,
                          authentication: Authentication | None) -> None:
    """Answer `web`'s calls of `methods` (over `services`) before Quart (see the
    module's docstring)."""
    fast = _FastPath(web.asgi_app, methods, services, metrics, authentication, web.config)
    web.asgi_app = fast  # type: ignore[method-assign]


class _FastPath:
    def __init__(self, app: ASGIApp, methods: Mapping[str, RpcMethod], services: Services,
                 metrics: DaggoMetrics, authentication: Authentication | None,
                 config: Mapping[str, Any]) -> None:
        self.app, self.methods, self.services = app, methods, services
        self.metrics, self.authentication, self.config = metrics, authentication, config

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable,
                       send: ASGISendCallable) -> None:
        if scope["type"] != "http" or (name := self._method(scope)) is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        if self.authentication is not None and self.authentication.authenticate(Headers(
                [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]])) is None:
            status, headers, answer = refusal(self.authentication)
            await self._answer(send, status, answer, headers)
            self.metrics.observe_rpc(name, status, time.perf_counter() - started)
            return
        body, received = bytearray(), []
        max_length: int | None = self.config["MAX_CONTENT_LENGTH"]
        try:
            async with asyncio.timeout(self.config["BODY_TIMEOUT"]):
                while True:
                    message = await receive()
                    received.append(message)
                    if message["type"] != "http.request" or (
                            max_length is not None
                            and len(body) + len(message["body"]) > max_length):
                        # A client gone, or a body too large: Quart answers, given what
                        # was read.
                        await self.app(scope, _replaying(received, receive), send)
                        return
                    body += message["body"]
                    if not message["more_body"]:
                        break
        except TimeoutError:
            status, answer = error_answer(RpcError(
                408, "body_timeout", f"the request body did not arrive in full within "
                f"{self.config['BODY_TIMEOUT']} s; send it at once"))
            await self._answer(send, status, answer, {"Content-Type": JSON_CONTENT_TYPE})
            self.metrics.observe_rpc(name, status, time.perf_counter() - started)
            return
        status, answer = await rpc_answer(self.methods, self.services, name, bytes(body))
        await self._answer(send, status, answer, {"Content-Type": JSON_CONTENT_TYPE})
        self.metrics.observe_rpc(name, status, time.perf_counter() - started)

    @staticmethod
    async def _answer(send: ASGISendCallable, status: int, body: bytes,
                      headers: Mapping[str, str]) -> None:
        await send(HTTPResponseStartEvent(
            type="http.response.start", status=status, trailers=False,
            headers=[*((k.lower().encode(), v.encode()) for k, v in headers.items()),
                     (b"content-length", str(len(body)).encode())]))
        await send(HTTPResponseBodyEvent(type="http.response.body", body=body,
                                         more_body=False))

    def _method(self, scope: HTTPScope) -> str | None:
        """The method a request this path answers calls, else None (Quart answers)."""
        if scope["method"] != "POST":
            return None
        path = scope["path"]
        root = scope.get("root_path", "")
        if root:  # as Quart routes a request under the app's mount point
            if path == root or not path.startswith(root):
                return None
            path = path.removeprefix(root)
        name = path.removeprefix(_PREFIX)
        if name == path or name not in self.methods:
            return None
        return name


def _replaying(received: list[ASGIReceiveEvent],
               receive: ASGIReceiveCallable) -> ASGIReceiveCallable:
    """`receive` with the messages already `received` first."""
    pending = deque(received)

    async def replay() -> ASGIReceiveEvent:
        return pending.popleft() if pending else await receive()

    return replay
