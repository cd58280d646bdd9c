"""Records of assets, their partitions, checks, dynamic partition keys and backfills."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from typing import Any

from attrs import field, frozen

from daggo_core.definitions.asset_snapshot import AssetSnapshot, CheckOutcome
from daggo_core.storage.records import RunStatus, new_run_id, utcnow

__all__ = [
    "ACTIVE_BACKFILL_STATUSES",
    "AssetEvent",
    "AssetEventKind",
    "AssetPartition",
    "AssetRecord",
    "AssetStateChange",
    "AssetWrites",
    "Backfill",
    "BackfillPartition",
    "BackfillStatus",
    "CheckResultRecord",
    "PartitionState",
    "PartitionStatus",
]


class AssetEventKind(enum.StrEnum):
    """A materialization (daggo or an outside system made the asset) or an observation
    (an outside system reports the asset as it is, e.g. a file's size)."""

    MATERIALIZATION = "materialization"
    OBSERVATION = "observation"


class PartitionState(enum.StrEnum):
    """The stored state of one partition of an asset: what its latest step did."""

    RUNNING = "running"
    MATERIALIZED = "materialized"
    FAILED = "failed"
    #: The latest step was canceled: the partition is what it was before it.
    CANCELED = "canceled"


class PartitionStatus(enum.StrEnum):
    """What the partition grid shows of a partition."""

    MISSING = "missing"
    IN_PROGRESS = "in_progress"
    MATERIALIZED = "materialized"
    FAILED = "failed"

    @classmethod
    def of(cls, state: PartitionState | str, materialized: bool) -> PartitionStatus:
        """The status shown for a stored state (`materialized`: ever materialized)."""
        if state == PartitionState.RUNNING:
            return cls.IN_PROGRESS
        if state == PartitionState.FAILED:
            return cls.FAILED
        if state == PartitionState.MATERIALIZED or materialized:
            return cls.MATERIALIZED
        return cls.MISSING


@frozen(kw_only=True)
class AssetRecord:
    """An asset as synced from code, with what storage keeps up to date about it: its
    latest materialization (`last_event_id`, time and run) and observation."""

    key: str
    description: str = ""
    group: str = "default"
    job_name: str | None = None
    op_name: str | None = None
    snapshot: AssetSnapshot
    active: bool = True
    updated_at: dt.datetime = field(factory=utcnow)
    last_event_id: int | None = None
    last_materialized_at: dt.datetime | None = None
    last_run_id: str | None = None
    last_observed_at: dt.datetime | None = None

    @property
    def changed_at(self) -> dt.datetime | None:
        """When the asset last changed as daggo knows it: materialized, or observed."""
        moments = [m for m in (self.last_materialized_at, self.last_observed_at) if m]
        return max(moments) if moments else None


@frozen(kw_only=True)
class AssetEvent:
    """A materialization or observation of an asset (of one partition, if partitioned),
    with its metadata; `id` is assigned by storage and orders the events."""

    asset_key: str
    kind: AssetEventKind = AssetEventKind.MATERIALIZATION
    partition_key: str | None = None
    run_id: str | None = None
    step_key: str | None = None
    timestamp: dt.datetime = field(factory=utcnow)
    metadata: Mapping[str, Any] = field(factory=dict)
    id: int | None = None


@frozen(kw_only=True)
class AssetPartition:
    """The stored state of one partition of an asset (`partition_key` "" for an asset
    without partitions)."""

    asset_key: str
    partition_key: str
    state: PartitionState
    materialized_at: dt.datetime | None
    run_id: str | None
    updated_at: dt.datetime

    @property
    def status(self) -> PartitionStatus:
        return PartitionStatus.of(self.state, self.materialized_at is not None)


@frozen(kw_only=True)
class AssetStateChange:
    """A step of `run_id` started, failed or was canceled on these partitions of an asset
    (`partition_keys` empty for an asset without partitions). A materialization is an
    `AssetEvent` instead: it sets the partitions MATERIALIZED itself."""

    asset_key: str
    partition_keys: tuple[str, ...] = ()
    state: PartitionState
    run_id: str
    at: dt.datetime = field(factory=utcnow)


@frozen(kw_only=True)
class CheckResultRecord:
    """One result of an asset check, run after a materialization of its asset."""

    asset_key: str
    check_name: str
    outcome: CheckOutcome
    partition_key: str | None = None
    run_id: str | None = None
    step_key: str | None = None
    description: str = ""
    metadata: Mapping[str, Any] = field(factory=dict)
    timestamp: dt.datetime = field(factory=utcnow)
    id: int | None = None


@frozen(kw_only=True)
class AssetWrites:
    """What a run's steps write about assets, stored with the step transitions: state
    changes, then materializations, then check results."""

    states: Sequence[AssetStateChange] = ()
    events: Sequence[AssetEvent] = ()
    checks: Sequence[CheckResultRecord] = ()

    def __bool__(self) -> bool:
        return bool(self.states or self.events or self.checks)

    def __add__(self, other: AssetWrites) -> AssetWrites:
        return AssetWrites(states=[*self.states, *other.states],
                           events=[*self.events, *other.events],
                           checks=[*self.checks, *other.checks])


class BackfillStatus(enum.StrEnum):
    #: Its runs are being created (resumed after a restart until all are).
    REQUESTED = "REQUESTED"
    #: Every run was created; some have not finished.
    RUNNING = "RUNNING"
    #: Every run finished (whatever its status).
    COMPLETED = "COMPLETED"
    #: A cancel was asked: runs not created yet never will be, queued ones are canceled,
    #: running ones asked to stop; CANCELED once none of its runs is left going.
    CANCELING = "CANCELING"
    CANCELED = "CANCELED"
    #: Creating its runs failed for a reason retrying will not fix (see `error`).
    FAILED = "FAILED"


ACTIVE_BACKFILL_STATUSES = frozenset({BackfillStatus.REQUESTED, BackfillStatus.RUNNING,
                                      BackfillStatus.CANCELING})


@frozen(kw_only=True)
class Backfill:
    """Runs of a partitioned job over a set of its partitions: one run per key, or per
    range of keys (`chunk_size` keys at most) where the job's ops take ranges.

    `partitions` counts the keys, `planned` the runs, `submitted` the runs created.
    """

    id: str = field(factory=new_run_id)
    job_name: str
    asset_key: str | None = None
    status: BackfillStatus = BackfillStatus.REQUESTED
    description: str = ""
    partitions: int = 0
    planned: int = 0
    submitted: int = 0
    chunk_size: int = 1
    only_missing: bool = False
    params: dict[str, Any] = field(factory=dict)
    tags: dict[str, str] = field(factory=dict)
    created_at: dt.datetime = field(factory=utcnow)
    updated_at: dt.datetime = field(factory=utcnow)
    error: str | None = None

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_BACKFILL_STATUSES


@frozen(kw_only=True)
class BackfillPartition:
    """One planned run of a backfill: its position, its key (or "first...last" range),
    and once created, its run and that run's status."""

    backfill_id: str
    seq: int
    partition_key: str
    run_id: str | None = None
    run_status: RunStatus | None = None
