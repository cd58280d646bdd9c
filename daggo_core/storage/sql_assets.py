"""Assets on SQL: definitions synced from code, materializations and observations, the
state of each partition (written in the transactions of the steps changing it), and
check results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

import attrs
from sqlalchemy import (
    Connection,
    Integer,
    RowMapping,
    Select,
    bindparam,
    case,
    cast,
    func,
    select,
    tuple_,
    update,
)

from daggo_core import serde
from daggo_core.definitions.asset_snapshot import AssetSnapshot, CheckOutcome
from daggo_core.errors import AssetNotFoundError
from daggo_core.storage.asset_records import (
    AssetEvent,
    AssetEventKind,
    AssetPartition,
    AssetRecord,
    AssetWrites,
    CheckResultRecord,
    PartitionState,
    PartitionStatus,
)
from daggo_core.storage.bulk import BulkStatement, RawQuery
from daggo_core.storage.records import StepStatus
from daggo_core.storage.schema import asset_check_results as _checks
from daggo_core.storage.schema import asset_events as _events
from daggo_core.storage.schema import asset_partitions as _partitions
from daggo_core.storage.schema import assets as _assets
from daggo_core.storage.sql_dialect import LockArea, SqlDialect
from daggo_core.storage.sql_rows import chunks, columns_of, sync_active
from daggo_core.storage.sql_transactions import Transactions

__all__ = ["SqlAssets", "settle_running_partitions", "store_asset_writes"]

#: The columns of the record fields named otherwise (GROUP is an SQL keyword).
_ASSET_FIELD_COLUMNS = {"key": "asset_key", "group": "group_name"}
_ASSET_COLUMNS = tuple(_assets.c[_ASSET_FIELD_COLUMNS.get(f.name, f.name)].label(f.name)
                       for f in attrs.fields(AssetRecord))
_EVENT_COLUMNS = columns_of(_events, AssetEvent)
_CHECK_COLUMNS = columns_of(_checks, CheckResultRecord)
_PARTITION_COLUMNS = columns_of(_partitions, AssetPartition)
_MATERIALIZATION = AssetEventKind.MATERIALIZATION.value

_EVENT_ROW = ("asset_key", "kind", "partition_key", "run_id", "step_key", "timestamp",
              "metadata")
_INSERT_EVENTS = BulkStatement(_events.insert(), _EVENT_ROW)
# Under the ASSETS lock every insert of events is alone: its rows have the highest ids.
_NEWEST_EVENT_IDS = select(_events.c.id).order_by(_events.c.id.desc()).limit(bindparam("n"))
_CHECK_ROW = ("asset_key", "check_name", "outcome", "partition_key", "run_id", "step_key",
              "description", "metadata", "timestamp")
_INSERT_CHECKS = BulkStatement(_checks.insert(), _CHECK_ROW)

_PARTITION_ROW = ("asset_key", "partition_key", "state", "materialized_at", "run_id",
                  "updated_at")
_PARTITION_KEY = ("asset_key", "partition_key")
#: What a step's state sets of a stored partition: its latest materialization stays.
_STATE_COLUMNS = ("state", "run_id", "updated_at")
_MATERIALIZED_COLUMNS = ("state", "materialized_at", "run_id", "updated_at")
_ASSET_KEY = _assets.c.asset_key == bindparam("key_asset_key")
_SET_LAST_MATERIALIZATION = BulkStatement(
    _assets.update().where(_ASSET_KEY),
    ("last_event_id", "last_materialized_at", "last_run_id", "key_asset_key"))
_SET_LAST_OBSERVATION = BulkStatement(_assets.update().where(_ASSET_KEY),
                                      ("last_observed_at", "key_asset_key"))
_STORED_ASSETS = select(_assets.c.asset_key).where(
    _assets.c.asset_key.in_(bindparam("keys", expanding=True)))

_GET_ASSET = select(*_ASSET_COLUMNS).where(_assets.c.asset_key == bindparam("key"))
_STATES = tuple(PartitionState)
#: What the grid shows of a partition, by the code `_PARTITION_STATUSES` reads: twice
#: its state's position in `_STATES`, plus 1 once it was materialized.
_SHOWN = tuple(PartitionStatus.of(_STATES[code // 2], bool(code % 2))
               for code in range(2 * len(_STATES)))
# A key and a small integer per partition, read from the driver: no Row, no time parsed,
# no string made for its state.
_PARTITION_STATUSES = RawQuery(
    select(_partitions.c.partition_key,
           case({state.value: 2 * i for i, state in enumerate(_STATES)},
                value=_partitions.c.state)
           + cast(_partitions.c.materialized_at.is_not(None), Integer))
    .where(_partitions.c.asset_key == bindparam("asset_key")))
_MATERIALIZED_TIMES = select(_partitions.c.partition_key, _partitions.c.materialized_at).where(
    _partitions.c.asset_key == bindparam("asset_key"),
    _partitions.c.materialized_at.is_not(None))
_GET_PARTITION = select(*_PARTITION_COLUMNS).where(
    _partitions.c.asset_key == bindparam("asset_key"),
    _partitions.c.partition_key == bindparam("partition_key"))
_COUNT_PARTITIONS = (select(_partitions.c.asset_key, _partitions.c.state,
                            _partitions.c.materialized_at.is_not(None), func.count())
                     .group_by(_partitions.c.asset_key, _partitions.c.state,
                               _partitions.c.materialized_at.is_not(None)))
_COUNT_PARTITIONS_OF = _COUNT_PARTITIONS.where(
    _partitions.c.asset_key.in_(bindparam("keys", expanding=True)))
_LATEST_OF_PARTITIONS = select(*_EVENT_COLUMNS).where(_events.c.id.in_(
    select(func.max(_events.c.id))
    .where(tuple_(_events.c.asset_key, _events.c.partition_key)
           .in_(bindparam("keys", expanding=True)), _events.c.kind == _MATERIALIZATION)
    .group_by(_events.c.asset_key, _events.c.partition_key)))
_LATEST_OF_UNPARTITIONED = select(*_EVENT_COLUMNS).where(_events.c.id.in_(
    select(func.max(_events.c.id))
    .where(_events.c.asset_key.in_(bindparam("keys", expanding=True)),
           _events.c.partition_key.is_(None), _events.c.kind == _MATERIALIZATION)
    .group_by(_events.c.asset_key)))
_LATEST_CHECKS = select(*_CHECK_COLUMNS).where(_checks.c.id.in_(
    select(func.max(_checks.c.id))
    .where(_checks.c.asset_key.in_(bindparam("keys", expanding=True)))
    .group_by(_checks.c.asset_key, _checks.c.check_name)))


def settle_running_partitions(conn: Connection, run_id: str, step_status: StepStatus,
                              now: dt.datetime) -> None:
    """End the RUNNING partitions of a run whose attempt was ended for it (its worker
    lost, or stopped): FAILED, or CANCELED when its steps were canceled."""
    state = (PartitionState.FAILED if step_status is StepStatus.FAILURE
             else PartitionState.CANCELED)
    conn.execute(update(_partitions)
                 .where(_partitions.c.run_id == run_id,
                        _partitions.c.state == PartitionState.RUNNING.value)
                 .values(state=state.value, updated_at=now))


def store_asset_writes(conn: Connection, writes: AssetWrites, dialect: SqlDialect) -> list[int]:
    """Store what steps did to assets, one statement per kind of write (however many
    partitions): the state changes, then the events (materializations set their
    partitions MATERIALIZED and their asset's latest materialization; observations the
    asset's latest observation), then the check results. Returns the events' ids, in
    order."""
    # Until the transaction ends: the events' ids are read back under it, the generic
    # upsert relies on it, and it orders the upserts of concurrent writers, which could
    # otherwise lock the rows of the same partitions in opposite orders (a deadlock).
    dialect.lock(conn, LockArea.ASSETS)
    states = [(change.asset_key, key, PartitionState(change.state).value, None,
               change.run_id, change.at)
              for change in writes.states for key in change.partition_keys or ("",)]
    # The upserts keep the last row of each partition: the newest write wins.
    dialect.upsert(conn, _partitions, _PARTITION_ROW, states, key=_PARTITION_KEY,
                   update=_STATE_COLUMNS)
    ids = _insert_events(conn, writes.events, dialect)
    materialized: list[tuple[Any, ...]] = []
    latest: dict[str, tuple[Any, ...]] = {}
    observed: dict[str, tuple[Any, ...]] = {}
    for event, event_id in zip(writes.events, ids, strict=True):
        if event.kind == AssetEventKind.MATERIALIZATION:
            materialized.append((event.asset_key, event.partition_key or "",
                                 PartitionState.MATERIALIZED.value, event.timestamp,
                                 event.run_id, event.timestamp))
            latest[event.asset_key] = (event_id, event.timestamp, event.run_id, event.asset_key)
        else:
            observed[event.asset_key] = (event.timestamp, event.asset_key)
    dialect.upsert(conn, _partitions, _PARTITION_ROW, materialized, key=_PARTITION_KEY,
                   update=_MATERIALIZED_COLUMNS)
    _SET_LAST_MATERIALIZATION.execute(conn, list(latest.values()))
    _SET_LAST_OBSERVATION.execute(conn, list(observed.values()))
    _INSERT_CHECKS.execute(conn, [
        (check.asset_key, check.check_name, CheckOutcome(check.outcome).value,
         check.partition_key, check.run_id, check.step_key, check.description,
         dict(check.metadata), check.timestamp) for check in writes.checks], many=dialect)
    return ids


def _insert_events(conn: Connection, events: Sequence[AssetEvent],
                   dialect: SqlDialect) -> list[int]:
    """Insert `events` (under the ASSETS lock) and return their ids, in order."""
    if not events:
        return []
    _INSERT_EVENTS.execute(conn, [
        (event.asset_key, AssetEventKind(event.kind).value, event.partition_key,
         event.run_id, event.step_key, event.timestamp, dict(event.metadata))
        for event in events], many=dialect)
    ids = list(conn.scalars(_NEWEST_EVENT_IDS, {"n": len(events)}).all())
    ids.reverse()
    return ids


class SqlAssets:
    """The `AssetStorage` part of SqlStorage."""

    _tx: Transactions

    def sync_assets(self, assets: Sequence[AssetRecord]) -> None:
        """Upsert the assets' definition fields as the active set; the others become
        inactive. Their latest materialization and observation stay as stored."""
        rows = [{"asset_key": a.key, "description": a.description, "group_name": a.group,
                 "job_name": a.job_name, "op_name": a.op_name,
                 "snapshot": serde.unstructure(a.snapshot), "active": True,
                 "updated_at": a.updated_at} for a in {a.key: a for a in assets}.values()]
        self._tx.write_unique("sync_assets",
                              lambda conn: sync_active(conn, _assets, rows, key="asset_key"))

    def get_asset(self, key: str) -> AssetRecord | None:
        """The asset of that key (active or not), or None."""
        row = self._tx.read("get_asset", lambda conn: conn.execute(
            _GET_ASSET, {"key": key}).one_or_none())
        return None if row is None else _asset_from_row(row._mapping)

    def list_assets(self, *, include_inactive: bool = False) -> list[AssetRecord]:
        """The assets by key."""
        query = select(*_ASSET_COLUMNS).order_by(_assets.c.asset_key)
        if not include_inactive:
            query = query.where(_assets.c.active.is_(True))
        rows = self._tx.read("list_assets", lambda conn: conn.execute(query).all())
        return [_asset_from_row(row._mapping) for row in rows]

    def add_asset_events(self, events: Sequence[AssetEvent]) -> list[AssetEvent]:
        """Store events reported from outside a run as a step's are stored (see
        `store_asset_writes`); returns them with their ids. Raises AssetNotFoundError,
        storing nothing, when one of their assets is not stored."""
        if not events:
            return []
        dialect = self._tx.dialect
        keys = sorted({event.asset_key for event in events})

        def tx(conn: Connection) -> list[int]:
            stored: set[str] = set()
            for part in chunks(keys):
                stored.update(conn.scalars(_STORED_ASSETS, {"keys": list(part)}))
            missing = [key for key in keys if key not in stored]
            if missing:
                raise AssetNotFoundError(
                    f"no asset with key {missing[0]!r} is stored (unknown: "
                    f"{', '.join(map(repr, missing))}); declare it in the app's definitions "
                    "(as an external asset if it is made outside daggo), which are stored "
                    "when the app syncs them, before reporting its events")
            return store_asset_writes(conn, AssetWrites(events=events), dialect)

        ids = self._tx.write("add_asset_events", tx)
        return [attrs.evolve(event, id=event_id)
                for event, event_id in zip(events, ids, strict=True)]

    def list_asset_events(self, asset_key: str, *, kind: AssetEventKind | None = None,
                          partition_key: str | None = None, limit: int = 50,
                          before_id: int | None = None) -> list[AssetEvent]:
        """The asset's events (of one kind, of one partition), newest first, older than
        `before_id`."""
        query = select(*_EVENT_COLUMNS).where(_events.c.asset_key == asset_key)
        if kind is not None:
            query = query.where(_events.c.kind == AssetEventKind(kind).value)
        if partition_key is not None:
            query = query.where(_events.c.partition_key == partition_key)
        if before_id is not None:
            query = query.where(_events.c.id < before_id)
        query = query.order_by(_events.c.id.desc()).limit(limit)
        return self._tx.read("list_asset_events", lambda conn: _events_of(conn, query))

    def latest_materializations(
        self, keys: Collection[tuple[str, str | None]]
    ) -> dict[tuple[str, str | None], AssetEvent]:
        """The latest materialization of each (asset key, partition key) that has one;
        a partition key of None stands for an asset without partitions (its events have
        none)."""
        partitioned = sorted({key for key in keys if key[1] is not None})
        whole = sorted({asset for asset, partition in keys if partition is None})

        def read(conn: Connection) -> list[AssetEvent]:
            events: list[AssetEvent] = []
            for pairs in chunks(partitioned):
                events += _events_of(conn, _LATEST_OF_PARTITIONS, {"keys": list(pairs)})
            for assets in chunks(whole):
                events += _events_of(conn, _LATEST_OF_UNPARTITIONED, {"keys": list(assets)})
            return events

        events = self._tx.read("latest_materializations", read)
        return {(event.asset_key, event.partition_key): event for event in events}

    def partition_statuses(self, asset_key: str) -> dict[str, PartitionStatus]:
        """The status of every partition of the asset with a stored state, by key: one
        index range, each row a key and a code of its status (see `_SHOWN`)."""
        return self._tx.read("partition_statuses", lambda conn: {
            key: _SHOWN[code]
            for key, code in _PARTITION_STATUSES.rows(conn, {"asset_key": asset_key})})

    def materialized_times(self, asset_key: str) -> dict[str, dt.datetime]:
        """When each partition of the asset was last materialized, by key."""
        return self._tx.read("materialized_times", lambda conn: {
            row.partition_key: row.materialized_at
            for row in conn.execute(_MATERIALIZED_TIMES, {"asset_key": asset_key})})

    def get_asset_partition(self, asset_key: str, partition_key: str) -> AssetPartition | None:
        """The stored state of one partition ("" for an asset without partitions)."""
        row = self._tx.read("get_asset_partition", lambda conn: conn.execute(
            _GET_PARTITION, {"asset_key": asset_key, "partition_key": partition_key}
        ).one_or_none())
        if row is None:
            return None
        return AssetPartition(**{**row._mapping, "state": PartitionState(row.state)})

    def count_partition_statuses(
        self, asset_keys: Collection[str] | None = None
    ) -> dict[str, dict[PartitionStatus, int]]:
        """The partitions of each asset (of those given) with a stored state, counted by
        status: a GROUP BY (per IN_LIST_LIMIT assets)."""
        if asset_keys is None:
            parts: list[Sequence[str] | None] = [None]
        else:
            parts = list(chunks(sorted(set(asset_keys))))

        def read(conn: Connection) -> list[Any]:
            return [row for part in parts for row in conn.execute(
                _COUNT_PARTITIONS if part is None else _COUNT_PARTITIONS_OF,
                None if part is None else {"keys": list(part)})]

        counts: dict[str, dict[PartitionStatus, int]] = {}
        for asset_key, state, materialized, count in self._tx.read(
                "count_partition_statuses", read):
            by_status = counts.setdefault(asset_key, {})
            status = PartitionStatus.of(state, bool(materialized))
            by_status[status] = by_status.get(status, 0) + int(count)
        return counts

    def list_check_results(self, asset_key: str, *, check_name: str | None = None,
                           limit: int = 50, before_id: int | None = None
                           ) -> list[CheckResultRecord]:
        """The asset's check results (of one check), newest first, older than
        `before_id`."""
        query = select(*_CHECK_COLUMNS).where(_checks.c.asset_key == asset_key)
        if check_name is not None:
            query = query.where(_checks.c.check_name == check_name)
        if before_id is not None:
            query = query.where(_checks.c.id < before_id)
        query = query.order_by(_checks.c.id.desc()).limit(limit)
        rows = self._tx.read("list_check_results", lambda conn: conn.execute(query).all())
        return [_check_from_row(row._mapping) for row in rows]

    def latest_check_results(
        self, asset_keys: Collection[str]
    ) -> dict[tuple[str, str], CheckResultRecord]:
        """The latest result of every check of the given assets, by (asset, check)."""
        keys = sorted(set(asset_keys))

        def read(conn: Connection) -> list[CheckResultRecord]:
            return [_check_from_row(row._mapping) for part in chunks(keys)
                    for row in conn.execute(_LATEST_CHECKS, {"keys": list(part)})]

        results = self._tx.read("latest_check_results", read)
        return {(result.asset_key, result.check_name): result for result in results}


def _events_of(conn: Connection, query: Select[Any],
               params: dict[str, Any] | None = None) -> list[AssetEvent]:
    return [AssetEvent(**{**row._mapping, "kind": AssetEventKind(row.kind)})
            for row in conn.execute(query, params)]


def _asset_from_row(row: RowMapping) -> AssetRecord:
    return AssetRecord(**{**row, "snapshot": serde.structure(row["snapshot"], AssetSnapshot),
                          "active": bool(row["active"])})


def _check_from_row(row: RowMapping) -> CheckResultRecord:
    return CheckResultRecord(**{**row, "outcome": CheckOutcome(row["outcome"])})
