"""Assets: the catalog, one asset with its lineage, history and checks, the partition
grid, and materializations or observations reported from outside daggo.

Whether an asset is stale is decided when read, from what storage keeps of each asset's
latest materialization: an asset is stale when an asset upstream of it materialized (or,
made outside daggo, was observed) after it did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from attrs import field, frozen

from daggo_core.context import check_json
from daggo_core.definitions.asset_snapshot import AssetKind, CheckOutcome
from daggo_core.definitions.partitions import partitions_from_snapshot
from daggo_core.errors import AssetNotFoundError, InvalidArgumentError
from daggo_core.execution.run_assets import partition_keys_of
from daggo_core.services.context import ServiceContext
from daggo_core.services.cursors import decode_cursor, encode_cursor
from daggo_core.services.paging import check_limit, page_limit
from daggo_core.services.partition_grid import GridCell, partition_grid
from daggo_core.storage.asset_records import (
    AssetEvent,
    AssetEventKind,
    AssetRecord,
    CheckResultRecord,
    PartitionStatus,
)

__all__ = [
    "AssetCheckInfo",
    "AssetDetail",
    "AssetEdge",
    "AssetEventInfo",
    "AssetSummary",
    "AssetsGetEventsRequest",
    "AssetsGetEventsResponse",
    "AssetsGetGraphRequest",
    "AssetsGetGraphResponse",
    "AssetsGetManyRequest",
    "AssetsGetManyResponse",
    "AssetsGetPartitionsRequest",
    "AssetsGetPartitionsResponse",
    "AssetsGetRequest",
    "AssetsReportEventRequest",
    "AssetsService",
    "CheckResultInfo",
    "GroupSummary",
]

#: Page sizes of an asset's events: the default and the most one request may ask for.
EVENTS_PAGE, EVENTS_PAGE_MAX = 50, 500


@frozen(kw_only=True)
class CheckResultInfo:
    """One result of an asset check."""

    check_name: str
    outcome: CheckOutcome
    description: str
    metadata: dict[str, Any]
    partition_key: str | None
    run_id: str | None
    timestamp: dt.datetime

    @classmethod
    def of(cls, record: CheckResultRecord) -> CheckResultInfo:
        return cls(check_name=record.check_name, outcome=record.outcome,
                   description=record.description, metadata=dict(record.metadata),
                   partition_key=record.partition_key, run_id=record.run_id,
                   timestamp=record.timestamp)


@frozen(kw_only=True)
class AssetCheckInfo:
    """A check of an asset and its latest result (None before it first ran)."""

    name: str
    description: str
    blocking: bool
    latest: CheckResultInfo | None


@frozen(kw_only=True)
class AssetSummary:
    """An asset as the catalog lists it: how it is made, its latest materialization,
    whether it is stale (and why), its partitions by status and its checks."""

    key: str
    group: str
    description: str
    kind: AssetKind
    owners: tuple[str, ...]
    job_name: str | None
    active: bool
    upstream: tuple[str, ...]
    downstream: tuple[str, ...]
    partitions_description: str
    #: How many partitions it has now (None when it is not partitioned).
    partition_total: int | None
    #: Its partitions by status, MISSING included.
    partition_counts: dict[PartitionStatus, int]
    last_materialized_at: dt.datetime | None
    last_run_id: str | None
    last_observed_at: dt.datetime | None
    stale: bool
    stale_reasons: tuple[str, ...]
    check_counts: dict[CheckOutcome, int]
    automation: bool


@frozen(kw_only=True)
class GroupSummary:
    """A group of assets and how many of them the catalog holds."""

    name: str
    assets: int


@frozen(kw_only=True)
class AssetsGetManyRequest:
    """The catalog: active assets by key, of one `group`, whose key contains `search`."""

    search: str | None = None
    group: str | None = None


@frozen(kw_only=True)
class AssetsGetManyResponse:
    assets: tuple[AssetSummary, ...]
    groups: tuple[GroupSummary, ...]


@frozen(kw_only=True)
class AssetsGetRequest:
    key: str


@frozen(kw_only=True)
class AssetEventInfo:
    """A materialization or observation of an asset."""

    id: int
    kind: AssetEventKind
    partition_key: str | None
    run_id: str | None
    step_key: str | None
    timestamp: dt.datetime
    metadata: dict[str, Any]

    @classmethod
    def of(cls, event: AssetEvent) -> AssetEventInfo:
        assert event.id is not None
        return cls(id=event.id, kind=event.kind, partition_key=event.partition_key,
                   run_id=event.run_id, step_key=event.step_key, timestamp=event.timestamp,
                   metadata=dict(event.metadata))


@frozen(kw_only=True)
class AssetDetail:
    """One asset: its summary, its checks with their latest results, and its latest
    materializations and observations."""

    asset: AssetSummary
    output_type: str
    max_partitions_per_run: int
    automation_debounce_seconds: float | None
    checks: tuple[AssetCheckInfo, ...]
    recent: tuple[AssetEventInfo, ...]
    tags: dict[str, str]


@frozen(kw_only=True)
class AssetEdge:
    """`target` depends on `source`: it reads its value (`reads`), or only follows it."""

    source: str
    target: str
    reads: bool


@frozen(kw_only=True)
class AssetsGetGraphRequest:
    """The lineage graph: of every active asset, or of `key` with the assets upstream
    and downstream of it (`depth` edges away at most; None: all)."""

    key: str | None = None
    depth: int | None = None


@frozen(kw_only=True)
class AssetsGetGraphResponse:
    assets: tuple[AssetSummary, ...]
    edges: tuple[AssetEdge, ...]


@frozen(kw_only=True)
class AssetsGetPartitionsRequest:
    """The partition grid of a partitioned asset: its partitions from index `start` to
    `stop` (None: the last), aggregated into at most `cells` ranges of equal size."""

    key: str
    start: int = 0
    stop: int | None = None
    cells: int = 200


@frozen(kw_only=True)
class AssetsGetPartitionsResponse:
    """The grid: `total` partitions, counted by status, and the cells of the asked span."""

    key: str
    total: int
    counts: dict[PartitionStatus, int]
    start: int
    stop: int
    cells: tuple[GridCell, ...]


@frozen(kw_only=True)
class AssetsGetEventsRequest:
    """An asset's materializations and observations, newest first."""

    key: str
    kind: AssetEventKind | None = None
    partition_key: str | None = None
    limit: int = page_limit(EVENTS_PAGE, EVENTS_PAGE_MAX)
    cursor: str | None = None


@frozen(kw_only=True)
class AssetsGetEventsResponse:
    events: tuple[AssetEventInfo, ...]
    next_cursor: str | None


@frozen(kw_only=True)
class AssetsReportEventRequest:
    """Report that an asset was materialized or observed outside a daggo run, with
    metadata (JSON values)."""

    key: str
    kind: AssetEventKind = AssetEventKind.OBSERVATION
    partition_key: str | None = None
    metadata: dict[str, Any] = field(factory=dict)


class AssetsService:
    """The assets synced from the app's code, with what storage keeps about them."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.storage = context.storage

    def get_many(self, request: AssetsGetManyRequest) -> AssetsGetManyResponse:
        """Active assets by key, each with its staleness, partitions and checks."""
        records = self.storage.list_assets()
        groups: dict[str, int] = {}
        for record in records:
            groups[record.group] = groups.get(record.group, 0) + 1
        search = (request.search or "").lower()
        shown = [r for r in records
                 if (request.group is None or r.group == request.group)
                 and search in r.key.lower()]
        return AssetsGetManyResponse(
            assets=self._summaries(shown, records),
            groups=tuple(GroupSummary(name=name, assets=count)
                         for name, count in sorted(groups.items())))

    def get(self, request: AssetsGetRequest) -> AssetDetail:
        """One asset (also one no longer defined), with its checks and latest events."""
        records = self.storage.list_assets(include_inactive=True)
        record = next((r for r in records if r.key == request.key), None)
        if record is None:
            raise self._unknown(request.key)
        (summary,) = self._summaries([record], records)
        latest = self.storage.latest_check_results([record.key])
        checks = tuple(
            AssetCheckInfo(name=c.name, description=c.description, blocking=c.blocking,
                           latest=None if (record.key, c.name) not in latest
                           else CheckResultInfo.of(latest[record.key, c.name]))
            for c in record.snapshot.checks)
        recent = self.storage.list_asset_events(record.key, limit=10)
        snapshot = record.snapshot
        return AssetDetail(asset=summary, output_type=snapshot.output_type,
                           max_partitions_per_run=snapshot.max_partitions_per_run,
                           automation_debounce_seconds=snapshot.automation_debounce_seconds,
                           checks=checks, recent=tuple(map(AssetEventInfo.of, recent)),
                           tags=dict(snapshot.tags))

    def get_graph(self, request: AssetsGetGraphRequest) -> AssetsGetGraphResponse:
        """The lineage graph of the active assets, or the part around one asset."""
        if request.depth is not None and (type(request.depth) is not int or request.depth < 0):
            raise InvalidArgumentError(f"depth: must be an integer >= 0, got {request.depth!r}")
        records = self.storage.list_assets()
        by_key = {r.key: r for r in records}
        keys = set(by_key)
        if request.key is not None:
            if request.key not in by_key:
                raise self._unknown(request.key)
            keys = _around(request.key, by_key, request.depth)
        shown = [r for r in records if r.key in keys]
        edges = tuple(
            AssetEdge(source=up, target=r.key, reads=up in r.snapshot.upstream)
            for r in shown for up in r.snapshot.all_upstream if up in keys)
        return AssetsGetGraphResponse(assets=self._summaries(shown, records), edges=edges)

    def get_partitions(self, request: AssetsGetPartitionsRequest
                       ) -> AssetsGetPartitionsResponse:
        """The partition grid of an asset, its spans aggregated into cells."""
        record = self.storage.get_asset(request.key)
        if record is None:
            raise self._unknown(request.key)
        if record.snapshot.partitions is None:
            raise InvalidArgumentError(f"asset {request.key!r} is not partitioned")
        grid = partition_grid(self.storage, record, start=request.start, stop=request.stop,
                              cells=request.cells)
        return AssetsGetPartitionsResponse(key=record.key, total=grid.total,
                                           counts=grid.counts, start=grid.start,
                                           stop=grid.stop, cells=grid.cells)

    def get_events(self, request: AssetsGetEventsRequest) -> AssetsGetEventsResponse:
        """A page of the asset's materializations and observations, newest first."""
        limit = check_limit(request)
        if self.storage.get_asset(request.key) is None:
            raise self._unknown(request.key)
        before = None
        if request.cursor is not None:
            (before,) = decode_cursor("asset_events", request.cursor, 1)
            if type(before) is not int:
                raise InvalidArgumentError("cursor: not a cursor of this list")
        found = self.storage.list_asset_events(
            request.key, kind=request.kind, partition_key=request.partition_key,
            limit=limit + 1, before_id=before)
        page = found[:limit]
        next_cursor = (encode_cursor("asset_events", page[-1].id) if len(found) > limit
                       else None)
        return AssetsGetEventsResponse(events=tuple(map(AssetEventInfo.of, page)),
                                       next_cursor=next_cursor)

    def report_event(self, request: AssetsReportEventRequest) -> AssetEventInfo:
        """Record a materialization or observation made outside daggo; the asset's
        partition status and staleness follow."""
        for key, value in request.metadata.items():
            try:
                check_json(key, value)
            except TypeError as exc:
                raise InvalidArgumentError(str(exc)) from exc
        record = self.storage.get_asset(request.key)
        if record is None:
            raise self._unknown(request.key)
        partitions = record.snapshot.partitions
        if partitions is None and request.partition_key is not None:
            raise InvalidArgumentError(f"asset {request.key!r} is not partitioned; report "
                                       "it without a partition_key")
        if partitions is not None:
            if request.partition_key is None:
                raise InvalidArgumentError(
                    f"asset {request.key!r} is partitioned "
                    f"({record.snapshot.partitions_description}): give the partition_key")
            keys = partition_keys_of(partitions_from_snapshot(partitions), self.storage)
            if keys.index_of(request.partition_key) is None:
                keys.between(request.partition_key, request.partition_key)  # names it
        (stored,) = self.storage.add_asset_events([AssetEvent(
            asset_key=request.key, kind=request.kind, partition_key=request.partition_key,
            metadata=dict(request.metadata))])
        return AssetEventInfo.of(stored)

    def _summaries(self, shown: Sequence[AssetRecord], every: Sequence[AssetRecord]
                   ) -> tuple[AssetSummary, ...]:
        keys = [r.key for r in shown]
        partitioned = [r.key for r in shown if r.snapshot.partitions is not None]
        counts = self.storage.count_partition_statuses(partitioned) if partitioned else {}
        totals = {r.key: len(partition_keys_of(partitions_from_snapshot(r.snapshot.partitions),
                                               self.storage))
                  for r in shown if r.snapshot.partitions is not None}
        checked = [r.key for r in shown if r.snapshot.checks]
        latest = self.storage.latest_check_results(checked) if checked else {}
        by_key = {r.key: r for r in every}
        downstream: dict[str, list[str]] = {key: [] for key in keys}
        for record in every:
            for up in record.snapshot.all_upstream:
                if up in downstream and record.active:
                    downstream[up].append(record.key)
        check_counts: dict[str, dict[CheckOutcome, int]] = {}
        for (asset_key, _), result in latest.items():
            tally = check_counts.setdefault(asset_key, {})
            tally[result.outcome] = tally.get(result.outcome, 0) + 1
        return tuple(
            _summary(r, by_key, tuple(downstream[r.key]), totals.get(r.key),
                     counts.get(r.key, {}), check_counts.get(r.key, {}))
            for r in shown)

    def _unknown(self, key: str) -> AssetNotFoundError:
        known = ", ".join(r.key for r in self.storage.list_assets()[:20]) or "none"
        return AssetNotFoundError(f"no asset {key!r} (known assets: {known})")


def _summary(record: AssetRecord, by_key: Mapping[str, AssetRecord],
             downstream: tuple[str, ...], total: int | None,
             stored: dict[PartitionStatus, int],
             check_counts: dict[CheckOutcome, int]) -> AssetSummary:
    snapshot = record.snapshot
    reasons = stale_reasons(record, by_key)
    counts = dict(stored)
    if total is not None:  # those without a stored state are missing
        missing = total - sum(n for s, n in stored.items() if s is not PartitionStatus.MISSING)
        if missing > 0:
            counts[PartitionStatus.MISSING] = counts.get(PartitionStatus.MISSING, 0) + missing
    return AssetSummary(
        key=record.key, group=record.group, description=record.description,
        kind=snapshot.kind, owners=snapshot.owners, job_name=record.job_name,
        active=record.active, upstream=snapshot.all_upstream, downstream=downstream,
        partitions_description=snapshot.partitions_description, partition_total=total,
        partition_counts={s: counts[s] for s in PartitionStatus if counts.get(s)},
        last_materialized_at=record.last_materialized_at, last_run_id=record.last_run_id,
        last_observed_at=record.last_observed_at, stale=bool(reasons),
        stale_reasons=reasons, check_counts=check_counts,
        automation=snapshot.automation_debounce_seconds is not None)


def stale_reasons(record: AssetRecord, by_key: Mapping[str, AssetRecord]) -> tuple[str, ...]:
    """Why the asset is stale: each upstream asset that changed after it materialized
    (nothing for an asset never materialized: it is missing, not stale)."""
    own = record.last_materialized_at
    if own is None or record.snapshot.kind is AssetKind.EXTERNAL:
        return ()
    reasons = []
    for up in record.snapshot.all_upstream:
        upstream = by_key.get(up)
        changed = None if upstream is None else upstream.changed_at
        if changed is not None and changed > own:
            reasons.append(f"upstream {up!r} changed at {changed.isoformat(timespec='seconds')}"
                           f", after this asset materialized "
                           f"({own.isoformat(timespec='seconds')})")
    return tuple(reasons)


def _around(key: str, by_key: Mapping[str, AssetRecord], depth: int | None) -> set[str]:
    """`key` and the assets up- and downstream of it, `depth` edges away at most."""
    downstream: dict[str, list[str]] = {}
    for record in by_key.values():
        for up in record.snapshot.all_upstream:
            downstream.setdefault(up, []).append(record.key)
    found = {key}
    for step in (lambda k: by_key[k].snapshot.all_upstream if k in by_key else (),
                 lambda k: downstream.get(k, ())):
        frontier, level = [key], 0
        while frontier and (depth is None or level < depth):
            level += 1
            frontier = list(dict.fromkeys(n for k in frontier for n in step(k)
                                          if n not in found))
            found.update(frontier)
    return found
