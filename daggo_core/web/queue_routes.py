"""The queues' routes: ingress paths under the app that deliver items to a queue.

Without a handler, a route takes `POST` with a JSON body: one payload object or a list
of them; an `Idempotency-Key` header is the item key of a single payload. It answers
202 with what became of the items (`accepted` ids, `deduplicated` ones with the item
each duplicates, `rejected` messages), or 400 naming the bad fields when no item was
accepted. A route with a handler gets every request as a `QueueRequest` and delivers
items with `request.push(items, key=None)` (an async handler: `await
request.push_async(...)`); what it returns is answered as JSON (200),
or, when it returns None, what its pushes did (202). Routes answer as the API does:
bearer tokens, JSON errors, no CSRF token (`daggo_core.web.auth.INGRESS_ENDPOINT`). The
`POST`s to a route without a handler are answered in front of Quart
(`queue_fast_routes`, for `daggo_core.web.fast_path`), as its view answers them.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable, Sequence
from typing import Any

from quart import Quart, Response, request
from werkzeug.datastructures import Headers

from daggo_core.definitions.queues import PushResult, QueueDefinition, QueueRequest, QueueRoute
from daggo_core.errors import PayloadError
from daggo_core.rpc.answers import error_answer
from daggo_core.rpc.errors import rpc_error
from daggo_core.serde import json_text, unstructure
from daggo_core.services import Services
from daggo_core.services.queues import ItemSource, QueuesPushRequest, QueuesPushResponse
from daggo_core.web.auth import INGRESS_ENDPOINT
from daggo_core.web.fast_path import FastRoute

__all__ = ["install_queue_routes", "queue_fast_routes"]

_JSON = "application/json"


def install_queue_routes(web: Quart, services: Services,
                         queues: Sequence[QueueDefinition[Any]]) -> None:
    """Serve every route of `queues` on `web`."""
    for queue in queues:
        for index, route in enumerate(queue.routes):
            methods = ["POST"] if route.handler is None else ["GET", "POST", "PUT", "DELETE"]
            web.add_url_rule(route.path, f"{INGRESS_ENDPOINT}{queue.name}:{index}",
                             _view(services, queue.name, route), methods=methods)


def queue_fast_routes(services: Services,
                      queues: Sequence[QueueDefinition[Any]]) -> dict[str, FastRoute]:
    """The routes without a handler (and without variable parts) for the fast path
    (`daggo_core.web.fast_path`), answered as their Quart views answer."""
    def route(queue: str, path: str) -> FastRoute:
        async def answer(body: bytes, headers: Headers) -> tuple[int, bytes]:
            return await _push_answer(services, queue, path, body,
                                      headers.get("Idempotency-Key"))

        return FastRoute(answer=answer)

    return {r.path: route(queue.name, r.path) for queue in queues for r in queue.routes
            if r.handler is None and "<" not in r.path}


def _view(services: Services, queue: str, route: QueueRoute) -> Callable[..., Any]:
    async def view(**_: Any) -> Response:
        data = await request.get_data(cache=False, as_text=False)
        body = data if isinstance(data, bytes) else data.encode()
        if route.handler is None:
            status, answer = await _push_answer(services, queue, request.path, body,
                                                request.headers.get("Idempotency-Key"))
            return Response(answer, status=status, content_type=_JSON)
        try:
            return await _handle(services, queue, route.handler, body)
        except Exception as exc:
            return _error(exc)

    return view


async def _push_answer(services: Services, queue: str, path: str, body: bytes,
                       key: str | None) -> tuple[int, bytes]:
    """The status and JSON body answering a push of `body` to a route without a handler:
    202 with what became of the items, or the error."""
    try:
        pushed = await services.queues.deliver_async(_push_request(queue, body, key),
                                                     source=ItemSource.ROUTE)
    except Exception as exc:
        return error_answer(rpc_error(f"route {path}", exc))
    return 202, json_text(unstructure(pushed)).encode()


def _push_request(queue: str, body: bytes, key: str | None) -> QueuesPushRequest:
    try:
        value = json.loads(body)
    except ValueError as exc:
        raise PayloadError(f"the body is not JSON: {exc}; send a payload object or a list "
                           "of them") from exc
    items = value if isinstance(value, list) else [value]
    return QueuesPushRequest(queue=queue, items=tuple(items), key=key)


async def _handle(services: Services, queue: str, handler: Callable[[QueueRequest], object],
                  body: bytes) -> Response:
    pushes: list[PushResult] = []

    def recorded(pushed: QueuesPushResponse) -> PushResult:
        result = PushResult(accepted=pushed.accepted,
                            deduplicated=tuple((d.id, d.duplicate_of or "")
                                               for d in pushed.deduplicated),
                            rejected=pushed.rejected)
        pushes.append(result)
        return result

    def push(items: Sequence[Any], key: str | None = None) -> PushResult:
        return recorded(services.queues.deliver(
            QueuesPushRequest(queue=queue, items=tuple(items), key=key),
            source=ItemSource.ROUTE))

    async def push_async(items: Sequence[Any], key: str | None = None) -> PushResult:
        return recorded(await services.queues.deliver_async(
            QueuesPushRequest(queue=queue, items=tuple(items), key=key),
            source=ItemSource.ROUTE))

    incoming = QueueRequest(method=request.method, path=request.path,
                            headers=dict(request.headers), query=dict(request.args),
                            body=body, push=push, push_async=push_async)
    if inspect.iscoroutinefunction(handler):
        answer = await handler(incoming)
    else:
        answer = await asyncio.to_thread(handler, incoming)
        if inspect.isawaitable(answer):
            answer = await answer
    if answer is not None:
        return _json(unstructure(answer), 200)
    return _json({"accepted": [i for p in pushes for i in p.accepted],
                  "deduplicated": [{"id": new, "duplicate_of": old}
                                   for p in pushes for new, old in p.deduplicated],
                  "rejected": [m for p in pushes for m in p.rejected]}, 202)


def _json(value: Any, status: int) -> Response:
    return Response(json_text(value), status=status, content_type=_JSON)


def _error(exc: BaseException) -> Response:
    status, body = error_answer(rpc_error(f"route {request.path}", exc))
    return Response(body, status=status, content_type=_JSON)
