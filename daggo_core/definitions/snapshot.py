"""The stored description of a job: its ops and their wiring, params, schedules and tags.

A `JobSnapshot` is what storage keeps of a job's code, so that every front end can show a
job (its graph, its launch form, its schedules) and check a launch's params without
importing the app. It is written and read through `daggo_core.serde`; `SNAPSHOT_VERSION`
changes whenever its shape does, with a migration for the rows already stored. A field
added with a default keeps the version: stored rows read with the default until the
job is synced again (at every start).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any

from attrs import field, frozen

from daggo_core.definitions.params_schema import ClassSchema, ParamSnapshot, ParamsSchema
from daggo_core.definitions.schedules import CatchUp, Overlap

__all__ = [
    "SNAPSHOT_VERSION",
    "ClassSchema",
    "Edge",
    "InputSnapshot",
    "JobSnapshot",
    "OpSnapshot",
    "ParamSnapshot",
    "QueueSnapshot",
    "ScheduleSnapshot",
    "Wiring",
]

#: The shape of `JobSnapshot`; migration 0004 rewrote the rows of version 1 (untyped).
SNAPSHOT_VERSION = 2


class Wiring(enum.StrEnum):
    """How an input field is fed: exactly one producer, all producers, or at most one."""

    ONE = "one"
    MANY = "many"
    OPTIONAL = "optional"


@frozen(kw_only=True)
class InputSnapshot:
    """One input field of an op: its type's name, its wiring and the ops feeding it."""

    field: str
    type: str
    wiring: Wiring
    producers: tuple[str, ...] = ()


@frozen(kw_only=True)
class OpSnapshot:
    """One op of a job, in the job's execution order."""

    name: str
    description: str = ""
    input_type: str = ""
    output_type: str = ""
    is_async: bool = False
    inputs: tuple[InputSnapshot, ...] = ()
    #: The assets the op materializes.
    assets: tuple[str, ...] = ()

    @property
    def upstream(self) -> tuple[str, ...]:
        """The ops this one reads from, without repeats, in execution order."""
        return tuple(dict.fromkeys(p for i in self.inputs for p in i.producers))


@frozen(kw_only=True)
class Edge:
    """`target`'s input `field` is fed by `source`'s output."""

    source: str
    target: str
    field: str


@frozen(kw_only=True)
class ScheduleSnapshot:
    """A schedule declared on the job, with the policies that decide its ticks."""

    key: str
    cron: str
    timezone: str = "UTC"
    enabled: bool = True
    catch_up: CatchUp = CatchUp.LATEST
    catch_up_window_seconds: float = 86400.0
    overlap: Overlap = Overlap.SKIP
    pause_after_failures: int | None = None
    tags: dict[str, str] = field(factory=dict)


@frozen(kw_only=True)
class JobSnapshot:
    """A job as stored: ops in execution order, params (the Params class's fields and the
    attrs classes nested in them), schedules and tags."""

    version: int = SNAPSHOT_VERSION
    ops: tuple[OpSnapshot, ...] = ()
    params: tuple[ParamSnapshot, ...] = ()
    param_classes: tuple[ClassSchema, ...] = ()
    schedules: tuple[ScheduleSnapshot, ...] = ()
    tags: dict[str, str] = field(factory=dict)
    #: The job's partitions (`PartitionsDefinition.snapshot()`), None when it has none.
    partitions: dict[str, Any] | None = None
    partitions_description: str = ""
    max_partitions_per_run: int = 1
    #: Ops loaded from an asset's latest materialization instead of executed.
    sourced: dict[str, str] = field(factory=dict)
    #: The asset the job was made for, if any.
    asset_key: str | None = None

    @property
    def params_schema(self) -> ParamsSchema:
        """The params' fields and nested classes, to check a launch against."""
        return ParamsSchema(fields=self.params, classes=self.param_classes)

    @property
    def order(self) -> tuple[str, ...]:
        """Op names in execution order."""
        return tuple(op.name for op in self.ops)

    def edges(self) -> Iterator[Edge]:
        """Every edge of the graph, by target op in execution order, then by field."""
        for op in self.ops:
            for binding in op.inputs:
                for producer in binding.producers:
                    yield Edge(source=producer, target=op.name, field=binding.field)

    def layers(self) -> tuple[tuple[str, ...], ...]:
        """Ops grouped by depth: roots first, each op one layer after its deepest input."""
        depth: dict[str, int] = {}
        for op in self.ops:
            depth[op.name] = 1 + max((depth[u] for u in op.upstream if u in depth), default=-1)
        grouped: dict[int, list[str]] = {}
        for op in self.ops:
            grouped.setdefault(depth[op.name], []).append(op.name)
        return tuple(tuple(grouped[level]) for level in sorted(grouped))

    def schedule(self, key: str) -> ScheduleSnapshot | None:
        """The schedule with `key`, or None."""
        return next((s for s in self.schedules if s.key == key), None)


@frozen(kw_only=True)
class QueueSnapshot:
    """A queue as stored: its payload type (name, fields and nested classes), routes,
    loader, attached jobs and policies."""

    version: int = SNAPSHOT_VERSION
    description: str = ""
    payload_type: str = ""
    payload_fields: tuple[ParamSnapshot, ...] = ()
    param_classes: tuple[ClassSchema, ...] = ()
    routes: tuple[str, ...] = ()
    loader_mode: str | None = None
    poll_every: float | None = None
    jobs: tuple[str, ...] = ()
    has_partition_key: bool = False
    #: The dynamic partitions the items' partition keys are added to, if any.
    dynamic_partitions: str | None = None
    has_item_key: bool = False
    retries: int = 0
    retry_backoff: float = 60.0
    per_partition_limit: int | None = None

    @property
    def payload_schema(self) -> ParamsSchema:
        """The payload's fields and nested classes, to check a push against."""
        return ParamsSchema(fields=self.payload_fields, classes=self.param_classes)
