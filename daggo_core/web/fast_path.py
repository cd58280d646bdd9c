"""`POST`s to the API's busiest paths answered in front of Quart, without its request and
response objects (about two fifths of the event loop's work for a small call): the calls
of known RPC methods and the pushes to the queues' routes without a handler.

It takes only requests to a path it was given, with a body within Quart's
`MAX_CONTENT_LENGTH`: it refuses those the authenticator does not admit as
`daggo_core.web.auth` does (`refusal`), answers the others as the Quart route does
(each path's `FastRoute.answer`, shared with that route; a body that does not arrive
within Quart's `BODY_TIMEOUT` gets 408 `body_timeout`) and counts them in the same
metrics. Every other request goes to Quart unchanged; a body too large goes to it as it
was read (Quart's 413).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from attrs import frozen
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
from daggo_core.rpc.answers import JSON_CONTENT_TYPE, error_answer
from daggo_core.rpc.errors import RpcError
from daggo_core.web.auth import refusal

__all__ = ["FastRoute", "install_fast_path"]

ASGIApp = Callable[[Scope, ASGIReceiveCallable, ASGISendCallable], Awaitable[None]]


@frozen
class FastRoute:
    """One path the fast path answers: `answer(body, headers)` gives the status and JSON
    body (as the Quart route does); `observe(status, seconds)`, if given, counts each
    answer (refusals and timeouts included) as the Quart route's metrics do."""

    answer: Callable[[bytes, Headers], Awaitable[tuple[int, bytes]]]
    observe: Callable[[int, float], None] | None = None


def install_fast_path(web: Quart, routes: Mapping[str, FastRoute],
                      authentication: Authentication | None) -> None:
    """Answer `POST`s to `routes` (by path under the app) before Quart (see the
    module's docstring)."""
    web.asgi_app = _FastPath(  # type: ignore[method-assign]
        web.asgi_app, dict(routes), authentication, web.config)


class _FastPath:
    def __init__(self, app: ASGIApp, routes: dict[str, FastRoute],
                 authentication: Authentication | None, config: Mapping[str, Any]) -> None:
        self.app, self.routes = app, routes
        self.authentication, self.config = authentication, config

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable,
                       send: ASGISendCallable) -> None:
        if scope["type"] != "http" or (route := self._route(scope)) is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = Headers([(k.decode("latin-1"), v.decode("latin-1"))
                           for k, v in scope["headers"]])
        if self.authentication is not None and self.authentication.authenticate(
                headers) is None:
            status, refused, answer = refusal(self.authentication)
            await self._answer(send, status, answer, refused)
            self._observe(route, status, started)
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
            self._observe(route, status, started)
            return
        status, answer = await route.answer(bytes(body), headers)
        await self._answer(send, status, answer, {"Content-Type": JSON_CONTENT_TYPE})
        self._observe(route, status, started)

    @staticmethod
    def _observe(route: FastRoute, status: int, started: float) -> None:
        if route.observe is not None:
            route.observe(status, time.perf_counter() - started)

    @staticmethod
    async def _answer(send: ASGISendCallable, status: int, body: bytes,
                      headers: Mapping[str, str]) -> None:
        await send(HTTPResponseStartEvent(
            type="http.response.start", status=status, trailers=False,
            headers=[*((k.lower().encode(), v.encode()) for k, v in headers.items()),
                     (b"content-length", str(len(body)).encode())]))
        await send(HTTPResponseBodyEvent(type="http.response.body", body=body,
                                         more_body=False))

    def _route(self, scope: HTTPScope) -> FastRoute | None:
        """The route answering a request here, else None (Quart answers)."""
        if scope["method"] != "POST":
            return None
        path = scope["path"]
        root = scope.get("root_path", "")
        if root:  # as Quart routes a request under the app's mount point
            if path == root or not path.startswith(root):
                return None
            path = path.removeprefix(root)
        return self.routes.get(path)


def _replaying(received: list[ASGIReceiveEvent],
               receive: ASGIReceiveCallable) -> ASGIReceiveCallable:
    """`receive` with the messages already `received` first."""
    pending = deque(received)

    async def replay() -> ASGIReceiveEvent:
        return pending.popleft() if pending else await receive()

    return replay
