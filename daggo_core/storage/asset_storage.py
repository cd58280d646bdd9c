"""The storage interfaces of assets, dynamic partitions and backfills.

Partition status lives in its own table, written in the transactions that store the
steps materializing it (see `StepWrites.assets`): no view ever rebuilds it from events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Protocol

from attrs import frozen

from daggo_core.storage.asset_records import (
    AssetEvent,
    AssetEventKind,
    AssetPartition,
    AssetRecord,
    Backfill,
    BackfillPartition,
    BackfillStatus,
    CheckResultRecord,
    PartitionStatus,
)
from daggo_core.storage.records import Event, Run, RunStatus

__all__ = [
    "AssetStorage",
    "BackfillPosition",
    "BackfillStorage",
    "PartitionStorage",
]


@frozen
class BackfillPosition:
    """Where a page of backfills (newest first) ended: the last one's creation and id."""

    created_at: dt.datetime
    id: str


class AssetStorage(Protocol):
    """Assets synced from code, their materializations and observations, the state of
    each partition, and check results."""

    def sync_assets(self, assets: Sequence[AssetRecord]) -> None:
        """Upsert `assets` (their definition fields) as the active set; others become
        inactive. What storage keeps about each (its latest materialization) stays."""

    def get_asset(self, key: str) -> AssetRecord | None:
        """The asset of that key (active or not), or None."""

    def list_assets(self, *, include_inactive: bool = False) -> list[AssetRecord]:
        """The assets by key."""

    def add_asset_events(self, events: Sequence[AssetEvent]) -> list[AssetEvent]:
        """Store materializations and observations reported from outside a run, as a
        step's are stored: the partitions' states and the assets' latest materialization
        follow. Returns the events with their ids. Raises AssetNotFoundError, storing
        nothing, when an asset is not stored."""

    def list_asset_events(self, asset_key: str, *, kind: AssetEventKind | None = None,
                          partition_key: str | None = None, limit: int = 50,
                          before_id: int | None = None) -> list[AssetEvent]:
        """The asset's events (of one kind, of one partition), newest first, older than
        `before_id`."""

    def latest_materializations(
        self, keys: Collection[tuple[str, str | None]]
    ) -> dict[tuple[str, str | None], AssetEvent]:
        """The latest materialization of each (asset key, partition key or None) that has
        one."""

    def partition_statuses(self, asset_key: str) -> dict[str, PartitionStatus]:
        """The status of every partition of the asset that has a stored state (the others
        are MISSING), by partition key."""

    def materialized_times(self, asset_key: str) -> dict[str, dt.datetime]:
        """When each partition of the asset was last materialized, by key (those never
        materialized are absent)."""

    def get_asset_partition(self, asset_key: str, partition_key: str) -> AssetPartition | None:
        """The stored state of one partition ("" for an asset without partitions)."""

    def count_partition_statuses(
        self, asset_keys: Collection[str] | None = None
    ) -> dict[str, dict[PartitionStatus, int]]:
        """The partitions of each asset (of those given) with a stored state, counted by
        status."""

    def list_check_results(self, asset_key: str, *, check_name: str | None = None,
                           limit: int = 50, before_id: int | None = None
                           ) -> list[CheckResultRecord]:
        """The asset's check results (of one check), newest first."""

    def latest_check_results(
        self, asset_keys: Collection[str]
    ) -> dict[tuple[str, str], CheckResultRecord]:
        """The latest result of every check of the given assets, by (asset, check)."""


class PartitionStorage(Protocol):
    """The keys of dynamic partition sets, in the order they were added."""

    def add_dynamic_partitions(self, set_name: str, keys: Sequence[str]) -> list[str]:
        """Add the keys the set does not hold yet (in order, once each); returns those."""

    def delete_dynamic_partitions(self, set_name: str, keys: Collection[str]) -> int:
        """Remove keys from the set (their assets' history stays); returns how many."""

    def list_dynamic_partitions(self, set_name: str) -> list[str]:
        """Every key of the set, in the order added."""


class BackfillStorage(Protocol):
    """Backfills, their planned runs (one per key or range) and their progress. A
    backfill's runs are created in batches by `submit_backfill_runs`, each batch with
    the plan rows it fulfils, so creation resumes where it stopped after a restart."""

    def add_backfill(self, backfill: Backfill, plan: Sequence[str]) -> Backfill:
        """Store a new backfill and its plan: the partition key (or "first...last"
        range) of each run to create, in order."""

    def get_backfill(self, backfill_id: str) -> Backfill:
        """The backfill; raises BackfillNotFoundError."""

    def list_backfills(self, *, job_name: str | None = None, limit: int = 50,
                       after: BackfillPosition | None = None) -> list[Backfill]:
        """Backfills (of one job), newest first, after `after`."""

    def active_backfills(self) -> list[Backfill]:
        """Backfills REQUESTED, RUNNING or CANCELING, oldest first."""

    def unsubmitted_plan(self, backfill_id: str, *, limit: int) -> list[BackfillPartition]:
        """The first `limit` planned runs of the backfill not created yet, in order."""

    def submit_backfill_runs(self, backfill_id: str, plan: Sequence[BackfillPartition],
                             runs: Sequence[Run], events: Sequence[Event]) -> Backfill | None:
        """Create `runs` (the runs of `plan`, in the same order) with their events, and
        mark those plan rows as created, in one transaction, while the backfill is still
        REQUESTED and none of them was created before; returns the backfill (RUNNING once
        every run was created), or None, storing nothing, when not."""

    def set_backfill_status(self, backfill_id: str, status: BackfillStatus, *,
                            expected: Collection[BackfillStatus],
                            error: str | None = None) -> Backfill | None:
        """Move the backfill to `status` if it is in one of `expected`; None otherwise."""

    def cancel_backfill_runs(self, backfill_id: str, *, limit: int = 500) -> int:
        """Cancel up to `limit` of the backfill's QUEUED runs (with their events) and ask
        its active ones to stop; returns how many runs it changed (0 when none is left)."""

    def backfill_run_counts(self, backfill_id: str) -> dict[RunStatus, int]:
        """The backfill's created runs by status."""

    def list_backfill_partitions(self, backfill_id: str, *, limit: int = 100,
                                 after_seq: int = -1) -> list[BackfillPartition]:
        """The backfill's planned runs in order after `after_seq`, with their runs'
        statuses."""
