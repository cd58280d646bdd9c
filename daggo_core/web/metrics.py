"""`GET /metrics`: the app's metrics in the Prometheus text format, and the RPC API's
request counts and latencies, observed for every request under `/rpc/`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram
from quart import Quart, Response, g, request

from daggo_core.metrics import DaggoMetrics
from daggo_core.rpc.registry import RpcMethod

__all__ = ["RpcRequestMetrics", "install_metrics"]

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RpcRequestMetrics:
    """The RPC API's request counts and latencies, in `metrics`."""

    def __init__(self, metrics: DaggoMetrics) -> None:
        self._requests = Counter("daggo_rpc_requests", "RPC requests, by method and HTTP "
                                 "status.", ["method", "status"], registry=metrics.registry)
        self._latency = Histogram("daggo_rpc_request_duration_seconds",
                                  "Time to answer an RPC request (a stream: until it "
                                  "starts), by method.", ["method"],
                                  registry=metrics.registry, buckets=_LATENCY)

    def observe(self, method: str, status: int, seconds: float) -> None:
        """Count a request of `method` answered with `status` after `seconds`."""
        self._requests.labels(method=method, status=str(status)).inc()
        self._latency.labels(method=method).observe(seconds)


def install_metrics(web: Quart, metrics: DaggoMetrics,
                    methods: Mapping[str, RpcMethod]) -> RpcRequestMetrics:
    """Serve `metrics` at `/metrics` and count `web`'s RPC requests in them, labelled by
    `methods` (daggo's and the plugins'); returns the RPC metrics, for requests answered
    before `web` (`daggo_core.web.rpc_fast_path`). Install it
    before anything that may answer a request early (the authenticator), so that refused
    requests are timed too."""
    rpc = RpcRequestMetrics(metrics)
    names = frozenset(methods)

    @web.before_request
    async def start_clock() -> None:
        g.rpc_started = time.perf_counter()

    @web.after_request
    async def count(response: Response) -> Response:
        if request.path.startswith("/rpc/"):
            rpc.observe(_method_label(names), response.status_code,
                        time.perf_counter() - g.rpc_started)
        return response

    @web.get("/metrics")
    async def scrape() -> Any:
        body = await asyncio.to_thread(metrics.scrape)
        return Response(body, content_type=CONTENT_TYPE_LATEST)

    return rpc


def _method_label(methods: frozenset[str]) -> str:
    """The RPC method a request called, else the route it matched (`/rpc/openapi.json`),
    else "unknown": never an arbitrary path, so the series stay few."""
    name = request.path.removeprefix("/rpc/")
    if name in methods:
        return name
    rule = request.url_rule
    return rule.rule if rule is not None and "<" not in rule.rule else "unknown"
