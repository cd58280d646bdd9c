"""`GET /rpc/Runs.Stream` and `GET /rpc/Runs.StatusStream`: Server-Sent Events.

A run's stream sends `event: event` messages (`id:` the events cursor after the event,
`data:` the event as `Runs.Events` gives it), then `event: end` with the run's summary;
the status stream sends `event: run` with a run's summary at each status change. Both
send `: keep-alive` comments while idle, and `event: error` (the usual error body) when
the server ends a stream early. Errors before the stream starts (an unknown run, a bad
cursor) answer as the POST methods do.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import attrs
from quart import Blueprint, Response, request

from daggo_core.rpc.answers import JSON_CONTENT_TYPE, error_answer, request_message
from daggo_core.rpc.errors import ERROR_CODES, RpcError, rpc_error
from daggo_core.serde import json_text, unstructure
from daggo_core.services import Services
from daggo_core.services.streams import (
    KeepAlive,
    RunChanged,
    RunsStatusStreamRequest,
    RunsStreamRequest,
    StreamedEvent,
    StreamEnd,
    StreamStopped,
)

__all__ = ["KEEP_ALIVE_SECONDS", "STREAM_PATHS", "register_streams", "sse"]

T = TypeVar("T")

#: Seconds between keep-alive comments on an idle stream (proxies drop silent ones).
KEEP_ALIVE_SECONDS = 15.0
#: Query parameters that may be given several times (or comma-separated).
_LISTS = frozenset({"kinds", "levels"})



def _query(name: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": {"type": "string"}}


def _errors(*answers: tuple[str, str]) -> dict[str, Any]:
    """Error answers by status, from (code, when) pairs; a `when` of None is the code's
    own, and 401 is there too, as every /rpc/ path may give it."""
    pairs = (*answers, ("unauthenticated", ERROR_CODES["unauthenticated"].when))
    return {str(ERROR_CODES[code].status): {
        "description": f"{code}: {when}",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for code, when in sorted(pairs, key=lambda pair: ERROR_CODES[pair[0]].status)}


#: The OpenAPI description of the stream endpoints (see openapi.py).
STREAM_PATHS: dict[str, Any] = {
    "/rpc/Runs.Stream": {"get": {
        "operationId": "Runs_Stream",
        "summary": "A run's events as they are stored (Server-Sent Events), resumable.",
        "description": (
            "Sends what is stored after `cursor` (or the `Last-Event-ID` header, which wins), "
            "then each event as it is stored: `id:` the events cursor after it (a "
            "`Runs.Events` `next_cursor`), `event: event`, `data:` the EventInfo JSON. Once "
            "the run ended and every event was sent: `event: end` with the RunSummary JSON, "
            f"and the response ends. `: keep-alive` comments every {KEEP_ALIVE_SECONDS:g} s; "
            "`event: error` with "
            "the Error JSON when the server ends the stream early (it is stopping, or the "
            "client read too slowly): reconnect with Last-Event-ID to resume."),
        "tags": ["Runs"],
        "parameters": [
            _query("run_id", "a run id or a unique prefix of one", required=True),
            _query("cursor", "resume after this events cursor"),
            _query("step_key", "only this step's events"),
            _query("kinds", "only these event kinds (repeat or comma-separate)"),
            _query("levels", "only these log levels (repeat or comma-separate)"),
            {"name": "Last-Event-ID", "in": "header", "required": False,
             "description": "the id of the last event received: resume after it",
             "schema": {"type": "string"}},
        ],
        "responses": {
            "200": {"description": "the event stream",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}}},
            **_errors(("invalid_argument", "a bad cursor or parameter"),
                      ("not_found", "no such run"),
                      ("unavailable", ERROR_CODES["unavailable"].when)),
        },
    }},
    "/rpc/Runs.StatusStream": {"get": {
        "operationId": "Runs_StatusStream",
        "summary": "Every run's status changes (Server-Sent Events), for live pages.",
        "description": (
            "`event: run` with the RunSummary JSON each time a run is queued, starts, is "
            "asked to cancel or ends (its log records the change); `: keep-alive` comments "
            f"every {KEEP_ALIVE_SECONDS:g} s. Open it before reading Runs.GetMany, so no "
            "change falls between."),
        "tags": ["Runs"],
        "parameters": [_query("job", "only this job's runs")],
        "responses": {
            "200": {"description": "the status stream",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}}},
            **_errors(("invalid_argument", "an unknown parameter"),
                      ("not_found", "no such job")),
        },
    }},
}


def register_streams(blueprint: Blueprint, services: Services) -> None:
    """Add the two stream endpoints to the RPC blueprint."""

    @blueprint.get("/Runs.Stream")
    async def run_stream() -> Any:
        parsed = _query_message(RunsStreamRequest)
        if isinstance(parsed, RpcError):
            return _answer(parsed)
        resume = request.headers.get("Last-Event-ID", "").strip()
        if resume:
            parsed = attrs.evolve(parsed, cursor=resume)
        opened = await _open("Runs.Stream", services.streams.run_stream, parsed)
        if isinstance(opened, RpcError):
            return _answer(opened)
        return _event_stream(opened.messages(KEEP_ALIVE_SECONDS))

    @blueprint.get("/Runs.StatusStream")
    async def status_stream() -> Any:
        parsed = _query_message(RunsStatusStreamRequest)
        if isinstance(parsed, RpcError):
            return _answer(parsed)
        opened = await _open("Runs.StatusStream", services.streams.status_stream, parsed)
        if isinstance(opened, RpcError):
            return _answer(opened)
        return _event_stream(opened.messages(KEEP_ALIVE_SECONDS))


def sse(message: Any) -> bytes:
    """The Server-Sent Events text of one stream message."""
    if isinstance(message, KeepAlive):
        return b": keep-alive\n\n"
    if isinstance(message, StreamedEvent):
        return _frame("event", message.event, message.cursor)
    if isinstance(message, StreamEnd):
        return _frame("end", message.run)
    if isinstance(message, RunChanged):
        return _frame("run", message.run)
    assert isinstance(message, StreamStopped)
    body = {"error": {"code": message.code, "message": message.message}}
    return _frame("error", body, message.cursor)


def _frame(event: str, data: Any, event_id: str | None = None) -> bytes:
    # JSON escapes newlines, so the data is one `data:` line.
    text = json_text(unstructure(data))
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {text}\n\n".encode()


def _event_stream(messages: AsyncIterator[Any]) -> Response:
    async def body() -> AsyncIterator[bytes]:
        async for message in messages:
            yield sse(message)

    response = Response(body(), content_type="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    response.timeout = None  # a stream lasts as long as its run
    return response


async def _open(name: str, opener: Callable[[Any], T], message: Any) -> T | RpcError:
    try:
        return await asyncio.to_thread(opener, message)
    except Exception as exc:
        return rpc_error(name, exc)


def _query_message(kind: type[T]) -> T | RpcError:
    """The request message from the query string (list fields repeated or comma-separated)."""
    known = {field.name for field in attrs.fields(kind)}  # type: ignore[arg-type]
    unknown = sorted(set(request.args) - known)
    if unknown:
        return RpcError(400, "invalid_argument",
                        f"unknown query parameter(s) {', '.join(unknown)}; this endpoint "
                        f"takes {', '.join(sorted(known))}")
    data: dict[str, Any] = {}
    for name in request.args:
        values = request.args.getlist(name)
        if name in _LISTS:
            data[name] = [part.strip() for value in values for part in value.split(",")
                          if part.strip()]
        elif len(values) > 1:
            return RpcError(400, "invalid_argument", f"$.{name}: give it once")
        else:
            data[name] = values[0]
    return request_message(data, kind)


def _answer(error: RpcError) -> Response:
    status, body = error_answer(error)
    return Response(body, status=status, content_type=JSON_CONTENT_TYPE)
