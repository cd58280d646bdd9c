"""daggo: typed DAGs of Python ops with scheduling, queues, run history and an admin UI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from daggo_core import dag
from daggo_core.context import Context
from daggo_core.definitions.asset_snapshot import CheckOutcome
from daggo_core.definitions.asset_specs import (
    AssetCheck,
    AssetSpec,
    Automation,
    CheckResult,
    asset_check,
)
from daggo_core.definitions.assets import AssetDefinition, asset
from daggo_core.definitions.definitions import Definitions
from daggo_core.definitions.jobs import JobBuilder, JobDefinition
from daggo_core.definitions.ops import NoInput, OpDefinition
from daggo_core.definitions.partitions import (
    DailyPartitions,
    DynamicPartitions,
    HourlyPartitions,
    MonthlyPartitions,
    StaticPartitions,
    TimePartitions,
    TimeWindow,
    WeeklyPartitions,
)
from daggo_core.definitions.policies import RetryPolicy
from daggo_core.definitions.queues import (
    Batch,
    LoaderMode,
    Pusher,
    PushResult,
    Queue,
    QueueDefinition,
    QueueItemIn,
    QueueRequest,
)
from daggo_core.definitions.schedules import ScheduleDefinition
from daggo_core.errors import DaggoError, DefinitionError, PayloadError
from daggo_core.hookspecs import hookimpl
from daggo_core.queue_context import MetadataProvider, QueueMeta, queue_meta, queue_payload
from daggo_core.resources import Resource

if TYPE_CHECKING:
    from daggo_core.app import DaggoApp, open, run
    from daggo_core.config import Config, default_config, load_config
    from daggo_core.execution.local import ExecuteResult, execute
    from daggo_core.queues.ready_loaders import queue_loader

__version__ = "0.1.0"

__all__ = [
    "AssetCheck",
    "AssetDefinition",
    "AssetSpec",
    "Automation",
    "Batch",
    "CheckOutcome",
    "CheckResult",
    "Config",
    "Context",
    "DaggoApp",
    "DaggoError",
    "DailyPartitions",
    "DefinitionError",
    "Definitions",
    "DynamicPartitions",
    "ExecuteResult",
    "HourlyPartitions",
    "JobBuilder",
    "JobDefinition",
    "LoaderMode",
    "MetadataProvider",
    "MonthlyPartitions",
    "NoInput",
    "OpDefinition",
    "PayloadError",
    "PushResult",
    "Pusher",
    "Queue",
    "QueueDefinition",
    "QueueItemIn",
    "QueueMeta",
    "QueueRequest",
    "Resource",
    "RetryPolicy",
    "ScheduleDefinition",
    "StaticPartitions",
    "TimePartitions",
    "TimeWindow",
    "WeeklyPartitions",
    "__version__",
    "asset",
    "asset_check",
    "dag",
    "default_config",
    "execute",
    "hookimpl",
    "load_config",
    "open",
    "queue_loader",
    "queue_meta",
    "queue_payload",
    "run",
]

# Runtime entry points pull in storage and the web stack; import them on first use so a
# module of job definitions imports fast.
_LAZY = {
    "Config": "daggo_core.config",
    "default_config": "daggo_core.config",
    "load_config": "daggo_core.config",
    "execute": "daggo_core.execution.local",
    "ExecuteResult": "daggo_core.execution.local",
    "open": "daggo_core.app",
    "run": "daggo_core.app",
    "DaggoApp": "daggo_core.app",
    "queue_loader": "daggo_core.queues.ready_loaders",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'daggo_core' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
