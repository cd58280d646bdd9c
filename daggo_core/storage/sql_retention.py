"""The purge of old runs on SQL: one batch per transaction (see `RetentionStorage`).

Candidates are read oldest first by creation (an index range: a run is created before it
finishes, so none created after the newest cutoff qualifies), filtered by their job's
cutoff on `finished_at`. Every other read of a batch goes by an indexed run id, item id
or asset key, so a batch costs the same however much history there is; child rows are
deleted explicitly, never left to a cascade.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    tuple_,
)

from daggo_core.storage.asset_records import ACTIVE_BACKFILL_STATUSES, AssetEventKind
from daggo_core.storage.purge import (
    KeptBecause,
    PurgeBatch,
    PurgeCounts,
    PurgeDecider,
    PurgeFacts,
    PurgeItem,
    PurgePosition,
    PurgeRun,
    PurgeSummary,
    RetentionCutoffs,
)
from daggo_core.storage.records import (
    ACTIVE_RUN_STATUSES,
    TERMINAL_RUN_STATUSES,
    QueueItemStatus,
    RunStatus,
)
from daggo_core.storage.schema import asset_events as _asset_events
from daggo_core.storage.schema import asset_partitions as _partitions
from daggo_core.storage.schema import backfills as _backfills
from daggo_core.storage.schema import events as _events
from daggo_core.storage.schema import queue_items as _items
from daggo_core.storage.schema import run_tags as _run_tags
from daggo_core.storage.schema import runs as _runs
from daggo_core.storage.schema import steps as _steps
from daggo_core.storage.sql_dialect import LockArea
from daggo_core.storage.sql_queues import delete_items
from daggo_core.storage.sql_rows import chunks
from daggo_core.storage.sql_transactions import Transactions

__all__ = ["PURGED_WITH_RUNS", "SqlRetention"]

#: The rows deleted with the runs they name. The other tables naming runs keep their
#: rows: asset partition states and check results (the asset's state), backfill plans,
#: schedule ticks (`scheduler.tick_history_days`) and the worker registry.
PURGED_WITH_RUNS = (_run_tags.c.run_id, _steps.c.run_id, _events.c.run_id,
                    _asset_events.c.run_id)

_RUN_FACTS = (_runs.c.id, _runs.c.job_name, _runs.c.status, _runs.c.created_at,
              _runs.c.finished_at, _runs.c.queue_item_id, _runs.c.backfill_id)
_TERMINAL = sorted(s.value for s in TERMINAL_RUN_STATUSES)
_UNFINISHED = sorted({RunStatus.QUEUED.value, *(s.value for s in ACTIVE_RUN_STATUSES)})
_MATERIALIZATION = AssetEventKind.MATERIALIZATION.value


class SqlRetention:
    """The `RetentionStorage` part of SqlStorage."""

    _tx: Transactions

    def purge_runs(self, cutoffs: RetentionCutoffs, decide: PurgeDecider, *, limit: int,
                   after: PurgePosition | None = None, dry_run: bool = False) -> PurgeBatch:
        """One batch of the purge (see `RetentionStorage.purge_runs`)."""
        old = _old_runs(cutoffs)
        if old is None:
            return PurgeBatch()
        query = (select(*_RUN_FACTS).where(_runs.c.status.in_(_TERMINAL), old)
                 .order_by(_runs.c.created_at, _runs.c.id).limit(limit))
        if after is not None:
            query = query.where(tuple_(_runs.c.created_at, _runs.c.id) > tuple_(
                bindparam("after_at", after.created_at, type_=_runs.c.created_at.type),
                bindparam("after_id", after.id)))
        dialect = self._tx.dialect

        def batch(conn: Connection) -> PurgeBatch:
            if not dry_run:
                dialect.lock(conn, LockArea.RETENTION)
            candidates = conn.execute(query).all()
            if not candidates:
                return PurgeBatch()
            facts = _read_facts(conn, candidates, lock_items=not dry_run)
            decision = decide(facts, cutoffs)
            runs = [facts.runs[run_id] for run_id in decision.runs]
            if not dry_run:
                if decision.items:
                    dialect.lock(conn, LockArea.QUEUES)  # no delivery deduplicates against them
                    delete_items(conn, decision.items)
                _delete_runs(conn, decision.runs)
            last = facts.runs[facts.candidates[decision.examined - 1]]
            more = decision.examined < len(candidates) or len(candidates) == limit
            by_job: dict[str, PurgeCounts] = {}
            for run in runs:
                by_job[run.job_name] = by_job.get(run.job_name, PurgeCounts()) + PurgeCounts(
                    runs=1, steps=run.steps, events=run.events)
            summary = PurgeSummary(
                by_job=dict(sorted(by_job.items())),
                queue_items=sum(1 + facts.items[i].duplicates for i in decision.items),
                asset_events=sum(run.asset_events for run in runs), kept=decision.kept)
            return PurgeBatch(summary=summary, next=PurgePosition(
                created_at=last.created_at, id=last.id) if more else None)

        if dry_run:
            return self._tx.read("purge_runs", batch)
        return self._tx.write("purge_runs", batch)


def _old_runs(cutoffs: RetentionCutoffs) -> ColumnElement[bool] | None:
    """The condition on a finished run of being older than its job's cutoff (None when
    no run can be)."""
    own = {job: cutoffs.of(job) for job in (cutoffs.only_jobs or cutoffs.job_before)}
    terms = [and_(_runs.c.job_name == job, _runs.c.finished_at < cutoff)
             for job, cutoff in sorted(own.items()) if cutoff is not None]
    if cutoffs.only_jobs is None and cutoffs.before is not None:
        others = _runs.c.finished_at < cutoffs.before
        terms.append(and_(_runs.c.job_name.not_in(sorted(cutoffs.job_before)), others)
                     if cutoffs.job_before else others)
    if not terms:
        return None
    newest = max(c for c in [*own.values(), cutoffs.before if cutoffs.only_jobs is None
                             else None] if c is not None)
    return and_(_runs.c.created_at < newest, or_(*terms))


def _read_facts(conn: Connection, candidates: Sequence[Any], *,
                lock_items: bool) -> PurgeFacts:
    """The candidates, the other runs of their queue items, those items, why each run
    must stay, and their rows counted."""
    rows: dict[str, Any] = {row.id: row for row in candidates}
    item_ids = sorted({row.queue_item_id for row in candidates if row.queue_item_id})
    items: dict[str, Any] = {}
    for part in chunks(item_ids):
        query = (select(_items.c.id, _items.c.status, _items.c.retry_at,
                        _items.c.dead_lettered_at).where(_items.c.id.in_(part))
                 .order_by(_items.c.id))
        items.update((row.id, row) for row in conn.execute(
            query.with_for_update() if lock_items else query))
        rows.update((row.id, row) for row in conn.execute(
            select(*_RUN_FACTS).where(_runs.c.queue_item_id.in_(part))))
    ids = sorted(rows)
    kept = _kept(conn, ids, {row.backfill_id for row in rows.values() if row.backfill_id})
    steps = _count_by(conn, _steps.c.run_id, ids)
    events = _count_by(conn, _events.c.run_id, ids)
    asset_events = _count_by(conn, _asset_events.c.run_id, ids)
    item_runs: dict[str, list[str]] = {item_id: [] for item_id in items}
    for row in sorted(rows.values(), key=lambda r: (r.created_at, r.id)):
        if row.queue_item_id in item_runs:
            item_runs[row.queue_item_id].append(row.id)
    duplicates = _count_by(conn, _items.c.duplicate_of, item_ids)
    runs = {run_id: PurgeRun(
        id=run_id, job_name=row.job_name, status=RunStatus(row.status),
        created_at=row.created_at, finished_at=row.finished_at,
        queue_item_id=row.queue_item_id if row.queue_item_id in items else None,
        steps=steps[run_id], events=events[run_id], asset_events=asset_events[run_id],
        kept=kept.get(run_id)) for run_id, row in rows.items()}
    return PurgeFacts(
        candidates=tuple(row.id for row in candidates), runs=runs,
        items={item_id: PurgeItem(id=item_id, status=QueueItemStatus(row.status),
                                  retry_at=row.retry_at,
                                  dead_lettered=row.dead_lettered_at is not None,
                                  run_ids=tuple(item_runs[item_id]),
                                  duplicates=duplicates[item_id])
               for item_id, row in items.items()})


def _kept(conn: Connection, ids: Sequence[str],
          backfill_ids: set[str]) -> dict[str, KeptBecause]:
    """Why each of the runs `ids` that must stay does (the first reason found)."""
    active: set[str] = set()
    for part in chunks(sorted(backfill_ids)):
        active |= set(conn.scalars(select(_backfills.c.id).where(
            _backfills.c.id.in_(part),
            _backfills.c.status.in_(sorted(s.value for s in ACTIVE_BACKFILL_STATUSES)))))
    kept: dict[str, KeptBecause] = {}
    for part in chunks(ids):
        reasons: list[tuple[KeptBecause, Select[tuple[str | None]]]] = [
            (KeptBecause.REEXECUTION, select(_runs.c.parent_run_id).where(
                _runs.c.status.in_(_UNFINISHED), _runs.c.parent_run_id.in_(part))),
            *([(KeptBecause.BACKFILL, select(_runs.c.id).where(
                _runs.c.id.in_(part), _runs.c.backfill_id.in_(sorted(active))))]
              if active else []),
            (KeptBecause.MATERIALIZATION, _latest_materializations(part, partitioned=True)),
            (KeptBecause.MATERIALIZATION, _latest_materializations(part, partitioned=False)),
            (KeptBecause.PARTITION, select(_partitions.c.run_id).where(
                _partitions.c.run_id.in_(part)))]
        for reason, query in reasons:
            for run_id in conn.scalars(query):
                kept.setdefault(str(run_id), reason)
    return kept


def _latest_materializations(part: Sequence[str], *,
                             partitioned: bool) -> Select[tuple[str | None]]:
    """The runs of `part` that made the latest materialization of a partition of an
    asset (`partitioned`) or of an asset without partitions: no later one of the same
    key exists (one index range of `(asset_key, partition_key, id)` each)."""
    later = _asset_events.alias("later")
    mine = _asset_events.c.partition_key
    newer = select(later.c.id).where(
        later.c.asset_key == _asset_events.c.asset_key,
        later.c.partition_key == mine if partitioned else later.c.partition_key.is_(None),
        later.c.kind == _MATERIALIZATION, later.c.id > _asset_events.c.id)
    return select(_asset_events.c.run_id).where(
        _asset_events.c.run_id.in_(part), _asset_events.c.kind == _MATERIALIZATION,
        mine.is_not(None) if partitioned else mine.is_(None), ~newer.exists())


def _count_by(conn: Connection, column: Any, keys: Sequence[str]) -> Counter[str]:
    """Rows of `column`'s table by their value of `column`, for `keys` (one grouped
    query per part of the list)."""
    counts: Counter[str] = Counter()
    for part in chunks(keys):
        counts.update(dict(conn.execute(select(column, func.count()).where(
            column.in_(part)).group_by(column)).all()))
    return counts


def _delete_runs(conn: Connection, run_ids: Sequence[str]) -> None:
    """Delete the runs and every row naming them: tags, steps, events, asset events."""
    for part in chunks(sorted(run_ids)):
        for column in PURGED_WITH_RUNS:
            conn.execute(delete(column.table).where(column.in_(part)))
        conn.execute(delete(_runs).where(_runs.c.id.in_(part)))

