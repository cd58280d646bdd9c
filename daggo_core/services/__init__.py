"""The service layer: the one API of daggo, which the CLI, the admin UI and RPC all call.

Each area (jobs, runs, schedules, queues, queue items, partitions, assets, backfills,
dynamic partitions, workers, plugins, system, retention) is a service object over a small
`ServiceContext`, taking and returning frozen attrs messages named for their RPC methods
(`RunsGetManyRequest` is the request of `Runs.GetMany`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from attrs import field, frozen

from daggo_core.config import Config
from daggo_core.definitions.definitions import Definitions
from daggo_core.execution.event_dispatch import open_listened_storage
from daggo_core.plugins import Hooks
from daggo_core.services.assets import AssetsService
from daggo_core.services.backfills import BackfillsService
from daggo_core.services.context import RuntimeControls, ServiceContext
from daggo_core.services.dynamic_partitions import DynamicPartitionsService
from daggo_core.services.jobs import JobsService
from daggo_core.services.plugin_services import PluginService, open_plugin_services
from daggo_core.services.plugins import PluginsService
from daggo_core.services.queues import PartitionsService, QueueItemsService, QueuesService
from daggo_core.services.retention import RetentionService
from daggo_core.services.runs import RunsService
from daggo_core.services.schedules import SchedulesService
from daggo_core.services.streams import StreamsService
from daggo_core.services.system import SystemService
from daggo_core.services.workers import WorkersService

__all__ = ["CORE_SERVICES", "PluginService", "RuntimeControls", "ServiceContext", "Services",
           "open_services"]

#: daggo's own services: the RPC name of each, and its attribute of `Services`.
CORE_SERVICES = {"Jobs": "jobs", "Runs": "runs", "Schedules": "schedules",
                 "Queues": "queues", "QueueItems": "queue_items", "Partitions": "partitions",
                 "Assets": "assets", "Backfills": "backfills",
                 "DynamicPartitions": "dynamic_partitions",
                 "Workers": "workers", "Plugins": "plugins", "System": "system"}


@frozen
class Services:
    """Every service over one context: daggo's own, and the plugins' by name."""

    context: ServiceContext
    jobs: JobsService
    runs: RunsService
    schedules: SchedulesService
    queues: QueuesService
    queue_items: QueueItemsService
    partitions: PartitionsService
    assets: AssetsService
    backfills: BackfillsService
    dynamic_partitions: DynamicPartitionsService
    workers: WorkersService
    plugins: PluginsService
    system: SystemService
    streams: StreamsService
    #: Not an RPC service: purges work on the database (`daggo db purge`).
    retention: RetentionService
    plugin_services: dict[str, PluginService] = field(factory=dict)

    @classmethod
    def over(cls, context: ServiceContext) -> Services:
        """The services over `context`, plugin services included (PluginError if one
        cannot open or takes a name already taken)."""
        runs = RunsService(context)
        return cls(context=context, jobs=JobsService(context), runs=runs,
                   schedules=SchedulesService(context), queues=QueuesService(context),
                   queue_items=QueueItemsService(context),
                   partitions=PartitionsService(context), assets=AssetsService(context),
                   backfills=BackfillsService(context),
                   dynamic_partitions=DynamicPartitionsService(context),
                   workers=WorkersService(context),
                   plugins=PluginsService(context.hooks),
                   system=SystemService(context), streams=StreamsService(context, runs),
                   retention=RetentionService(context),
                   plugin_services=open_plugin_services(context, tuple(CORE_SERVICES)))


@contextlib.contextmanager
def open_services(config: Config, hooks: Hooks,
                  definitions: Definitions | None = None) -> Iterator[Services]:
    """Services over the configured storage (opened, and migrated if needed, through its
    backend plugin), closed on exit; for commands that run without a server. Run events
    stored meanwhile (a launch's RUN_QUEUED) reach the plugins' listeners before it
    closes."""
    with open_listened_storage(config, hooks) as storage:
        yield Services.over(ServiceContext(storage=storage, config=config, hooks=hooks,
                                           definitions=definitions))
