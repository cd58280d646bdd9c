"""`GET /metrics`: the app's metrics in the Prometheus text format, and the RPC API's
request counts and latencies, observed for every request under `/rpc/`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from quart import Quart, Response, g, request

from daggo_core.metrics import DaggoMetrics
from daggo_core.rpc.registry import RpcMethod
from daggo_core.web.primary_link import PrimaryUnreachableError

__all__ = ["install_metrics"]

def install_metrics(web: Quart, metrics: DaggoMetrics,
                    methods: Mapping[str, RpcMethod]) -> None:
    """Serve `metrics` at `/metrics` and count `web`'s RPC requests in them, labelled by
    `methods` (daggo's and the plugins'). Install it before anything that may answer a
    request early (the authenticator), so that refused requests are timed too."""
    names = frozenset(methods)

    @web.before_request
    async def start_clock() -> None:
        g.rpc_started = time.perf_counter()

    @web.after_request
    async def count(response: Response) -> Response:
        if request.path.startswith("/rpc/"):
            metrics.observe_rpc(_method_label(names), response.status_code,
                        time.perf_counter() - g.rpc_started)
        return response

    @web.get("/metrics")
    async def scrape() -> Any:
        try:
            body = await asyncio.to_thread(metrics.scrape)
        except PrimaryUnreachableError as exc:
            return Response(f"{exc}\n", status=503, content_type="text/plain")
        return Response(body, content_type=CONTENT_TYPE_LATEST)


def _method_label(methods: frozenset[str]) -> str:
    """The RPC method a request called, else the route it matched (`/rpc/openapi.json`),
    else "unknown": never an arbitrary path, so the series stay few."""
    name = request.path.removeprefix("/rpc/")
    if name in methods:
        return name
    rule = request.url_rule
    return rule.rule if rule is not None and "<" not in rule.rule else "unknown"
