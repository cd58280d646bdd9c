"""`POST /rpc/<Service>.<Method>`: a JSON request message in, a JSON response out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quart import Blueprint, Response, jsonify, render_template, request, url_for

from daggo_core.rpc.answers import JSON_CONTENT_TYPE, rpc_answer
from daggo_core.rpc.errors import ERROR_CODES
from daggo_core.rpc.openapi import openapi_spec
from daggo_core.rpc.reference import message_docs, method_docs
from daggo_core.rpc.registry import RpcMethod
from daggo_core.rpc.streams import register_streams
from daggo_core.services import Services

__all__ = ["rpc_blueprint"]


def rpc_blueprint(services: Services, methods: Mapping[str, RpcMethod]) -> Blueprint:
    """The RPC routes over `services`: every method of `methods` (`rpc_methods(services)`:
    daggo's and the plugins'), the API's OpenAPI description at `/rpc/openapi.json` and its
    reference page at `/rpc/docs/`; URLs are under the ASGI `root_path` the app is
    mounted at."""
    from daggo_core import __version__

    blueprint = Blueprint("rpc", __name__, url_prefix="/rpc", template_folder="templates")
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
        status, body = await rpc_answer(methods, services, name,
                                        await request.get_data(as_text=False))
        return Response(body, status=status, content_type=JSON_CONTENT_TYPE)

    return blueprint
