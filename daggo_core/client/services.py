"""The services of a daggo server, called through its RPC API with the same methods and
messages as the services of this process."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, cast

from daggo_core.client.http import RpcClient
from daggo_core.rpc.registry import RpcMethod, core_rpc_methods
from daggo_core.services.assets import AssetsService
from daggo_core.services.backfills import BackfillsService
from daggo_core.services.dynamic_partitions import DynamicPartitionsService
from daggo_core.services.jobs import JobsService
from daggo_core.services.plugins import PluginsService
from daggo_core.services.queues import PartitionsService, QueueItemsService, QueuesService
from daggo_core.services.runs import RunsService
from daggo_core.services.schedules import SchedulesService
from daggo_core.services.system import SystemService
from daggo_core.services.workers import WorkersService

__all__ = ["RemoteService", "RemoteServices"]


class RemoteService:
    """One service of the server: each of its RPC methods as a method of the same name
    (`get_many(request)` sends `Jobs.GetMany`)."""

    def __init__(self, client: RpcClient, methods: Mapping[str, RpcMethod]) -> None:
        self._client = client
        self._methods = dict(methods)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = self._methods.get(name)
        if method is None:
            raise AttributeError(f"{name!r} is not an RPC method of this service (its "
                                 f"methods: {', '.join(self._methods)})")
        return functools.partial(self._client.call, method)


class RemoteServices:
    """Every service of the server at `url` (a `ServicesApi`), over one HTTP client;
    closed on exit of a `with` block."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 30.0) -> None:
        self.client = RpcClient(url, token, timeout=timeout)
        by_service: dict[str, dict[str, RpcMethod]] = {}
        for method in core_rpc_methods().values():
            assert method.attribute is not None  # daggo's own: an attribute of Services
            by_service.setdefault(method.attribute, {})[method.function] = method

        def service(attribute: str) -> Any:
            return RemoteService(self.client, by_service.get(attribute, {}))

        # Typed as the services they stand for: a caller uses their RPC methods only.
        self.jobs = cast(JobsService, service("jobs"))
        self.runs = cast(RunsService, service("runs"))
        self.schedules = cast(SchedulesService, service("schedules"))
        self.queues = cast(QueuesService, service("queues"))
        self.queue_items = cast(QueueItemsService, service("queue_items"))
        self.partitions = cast(PartitionsService, service("partitions"))
        self.assets = cast(AssetsService, service("assets"))
        self.backfills = cast(BackfillsService, service("backfills"))
        self.dynamic_partitions = cast(DynamicPartitionsService, service("dynamic_partitions"))
        self.workers = cast(WorkersService, service("workers"))
        self.plugins = cast(PluginsService, service("plugins"))
        self.system = cast(SystemService, service("system"))

    @property
    def url(self) -> str:
        return self.client.url

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> RemoteServices:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
