"""`POST /rpc/<Service>.<Method>`: a JSON request message in, a JSON response out."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import cattrs
from quart import Blueprint, Response, jsonify, render_template, request, url_for

from daggo_core.rpc.errors import ERROR_CODES, RpcError, rpc_error
from daggo_core.rpc.openapi import openapi_spec
from daggo_core.rpc.reference import message_docs, method_docs
from daggo_core.rpc.registry import RpcMethod, rpc_methods
from daggo_core.rpc.streams import register_streams
from daggo_core.rpc.text_check import text_problem
from daggo_core.serde import json_text, structure_strict, unstructure_as
from daggo_core.services import Services

__all__ = ["rpc_blueprint"]


def rpc_blueprint(services: Services) -> Blueprint:
    """The RPC routes over `services`: every method of `rpc_methods(services)` (daggo's
    and the plugins'), the API's OpenAPI description at `/rpc/openapi.json` and its
    reference page at `/rpc/docs/`; URLs are under the ASGI `root_path` the app is
    mounted at."""
    from daggo_core import __version__

    blueprint = Blueprint("rpc", __name__, url_prefix="/rpc", template_folder="templates")
    methods = rpc_methods(services)
    description = openapi_spec(methods, __version__)

    @blueprint.get("/openapi.json")
    async def spec() -> Any:
        return jsonify(description)

    @blueprint.get("/docs/")
    async def docs() -> Any:
        return await render_template(
            "rpc_docs.html", methods=method_docs(description, request.url_root.rstrip("/")),
            messages=message_docs(description), errors=ERROR_CODES.values(),
            spec_url=url_for("rpc.spec"), base_path=request.root_path.rstrip("/"))

    register_streams(blueprint, services)

    @blueprint.post("/<name>")
    async def call(name: str) -> Any:
        method = methods.get(name)
        if method is None:
            return _answer(RpcError(404, "unknown_method",
                                    f"no RPC method {name!r}; methods: {', '.join(methods)}"))
        parsed = _request_message(method, await request.get_data(as_text=False))
        if isinstance(parsed, RpcError):
            return _answer(parsed)
        try:
            result = await asyncio.to_thread(method.call, services, parsed)
        except Exception as exc:
            return _answer(rpc_error(name, exc))
        return _json(unstructure_as(result, method.response))

    return blueprint


def _request_message(method: RpcMethod, body: str | bytes) -> Any:
    """The method's request message from a JSON body (empty: `{}`), or the error."""
    try:
        data = json.loads(body) if body.strip() else {}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return RpcError(400, "malformed_json", f"the request body is not JSON: {exc}")
    if not isinstance(data, dict):
        return RpcError(400, "invalid_argument",
                        f"the request body must be a JSON object, got {type(data).__name__}")
    problem = text_problem(data)
    if problem is not None:
        return RpcError(400, "invalid_argument", problem)
    if method.request is None:
        if data:
            return RpcError(400, "invalid_argument",
                            f"{method.name} takes no fields, got {', '.join(sorted(data))}")
        return None
    try:
        return structure_strict(data, method.request)
    except cattrs.BaseValidationError as exc:
        return RpcError(400, "invalid_argument",
                        "; ".join(cattrs.transform_error(exc, path="$")))
    except (TypeError, ValueError) as exc:
        return RpcError(400, "invalid_argument", f"$: {exc}")


def _json(data: Any) -> Response:
    """A JSON response, compact and in the fields' order (Quart's `jsonify` sorts keys)."""
    return Response(json_text(data), content_type="application/json")


def _answer(error: RpcError) -> tuple[Response, int]:
    return jsonify(error.body()), error.status
