"""The answer to `POST /rpc/<Service>.<Method>`: the JSON body in, the status and JSON
body out. Both the Quart route and the ASGI fast path (`daggo_core.web.fast_path`)
answer with it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

import cattrs

from daggo_core.rpc.errors import RpcError, rpc_error
from daggo_core.rpc.registry import RpcMethod
from daggo_core.rpc.text_check import text_problem
from daggo_core.serde import json_text, structure_strict, unstructure_as
from daggo_core.services import Services

__all__ = ["JSON_CONTENT_TYPE", "error_answer", "request_message", "rpc_answer"]

JSON_CONTENT_TYPE = "application/json"

T = TypeVar("T")


async def rpc_answer(methods: Mapping[str, RpcMethod], services: Services, name: str,
                     body: str | bytes) -> tuple[int, bytes]:
    """The HTTP status and JSON body answering a call of the method `name` with the
    request body `body`: the response message (compact, in its fields' order), or an
    error; the method runs in a worker thread, unless awaitable (`RpcMethod.answer`)."""
    method = methods.get(name)
    if method is None:
        return error_answer(RpcError(404, "unknown_method",
                               f"no RPC method {name!r}; methods: {', '.join(methods)}"))
    parsed = _request_message(method, body)
    if isinstance(parsed, RpcError):
        return error_answer(parsed)
    try:
        result = await method.answer(services, parsed)
    except Exception as exc:
        return error_answer(rpc_error(name, exc))
    return 200, json_text(unstructure_as(result, method.response)).encode()


def _request_message(method: RpcMethod, body: str | bytes) -> Any:
    """The method's request message from a JSON body (empty: `{}`), or the error."""
    try:
        data = json.loads(body) if body.strip() else {}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return RpcError(400, "malformed_json", f"the request body is not JSON: {exc}")
    if not isinstance(data, dict):
        return RpcError(400, "invalid_argument",
                        f"the request body must be a JSON object, got {type(data).__name__}")
    if method.request is None:
        if data:
            return RpcError(400, "invalid_argument",
                            f"{method.name} takes no fields, got {', '.join(sorted(data))}")
        return None
    return request_message(data, method.request)


def request_message(data: dict[str, Any], kind: type[T]) -> T | RpcError:
    """The request message `kind` from its JSON fields `data`, strictly, or the error
    naming each wrong field by its path."""
    problem = text_problem(data)
    if problem is not None:
        return RpcError(400, "invalid_argument", problem)
    try:
        return structure_strict(data, kind)
    except cattrs.BaseValidationError as exc:
        return RpcError(400, "invalid_argument",
                        "; ".join(cattrs.transform_error(exc, path="$")))
    except (TypeError, ValueError) as exc:
        return RpcError(400, "invalid_argument", f"$: {exc}")


def error_answer(error: RpcError) -> tuple[int, bytes]:
    """The HTTP status and JSON body answering `error`."""
    return error.status, json_text(error.body()).encode()
