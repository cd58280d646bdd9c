"""What front ends call: the services of this process (`Services`) or a server's
(`daggo_core.client.RemoteServices`), through the same methods and messages."""

from __future__ import annotations

from typing import Protocol

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

__all__ = ["ServicesApi"]


class ServicesApi(Protocol):
    """Every service, local or remote. Remotely only the RPC methods exist
    (`daggo_core.rpc.registry`): a front end that may run against a server calls no
    other service method."""

    @property
    def jobs(self) -> JobsService: ...

    @property
    def runs(self) -> RunsService: ...

    @property
    def schedules(self) -> SchedulesService: ...

    @property
    def queues(self) -> QueuesService: ...

    @property
    def queue_items(self) -> QueueItemsService: ...

    @property
    def partitions(self) -> PartitionsService: ...

    @property
    def assets(self) -> AssetsService: ...

    @property
    def backfills(self) -> BackfillsService: ...

    @property
    def dynamic_partitions(self) -> DynamicPartitionsService: ...

    @property
    def workers(self) -> WorkersService: ...

    @property
    def plugins(self) -> PluginsService: ...

    @property
    def system(self) -> SystemService: ...
