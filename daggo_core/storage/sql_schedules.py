"""Scheduler bookkeeping on SQL: states, tick claims and their history."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import attrs
from sqlalchemy import (
    Connection,
    RowMapping,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    tuple_,
    update,
)

from daggo_core.errors import StorageError
from daggo_core.storage.base import TickPosition
from daggo_core.storage.records import (
    Event,
    EventKind,
    RunStatus,
    ScheduleState,
    ScheduleTick,
    TickStatus,
    utcnow,
)
from daggo_core.storage.schema import runs as _runs
from daggo_core.storage.schema import schedule_ticks as _ticks
from daggo_core.storage.schema import scheduler_states as _states
from daggo_core.storage.sql_dialect import LockArea, SqlDialect
from daggo_core.storage.sql_rows import (
    cancel_in_transaction,
    columns_of,
    insert_events,
    insert_runs,
    record_values,
)
from daggo_core.storage.sql_transactions import Transactions
from daggo_core.storage.ticks import (
    ScheduleId,
    ScheduleSituation,
    TickClaim,
    TickDecider,
    TickDecision,
)

__all__ = ["SqlSchedules"]

_STATE_COLUMNS = columns_of(_states, ScheduleState)
_TICK_COLUMNS = columns_of(_ticks, ScheduleTick)
_WAITING_RUN_STATUSES = (RunStatus.QUEUED.value, RunStatus.STARTING.value,
                         RunStatus.STARTED.value)
#: Claims touching more schedules than this are split into several transactions.
_CHUNK = 500


class SqlSchedules:
    """The `ScheduleStorage` part of SqlStorage.

    Every transaction that claims ticks or changes scheduler state first takes the
    dialect's schedules lock, so that scheduler replicas decide on each other's committed
    ticks; a unique-constraint conflict (a claim another process committed first) is
    retried and then sees that claim.
    """

    _tx: Transactions

    def list_schedule_states(self) -> list[ScheduleState]:
        """Every schedule's bookkeeping row, ordered by job and key."""
        query = select(*_STATE_COLUMNS).order_by(_states.c.job_name, _states.c.schedule_key)
        rows = self._tx.read("list_schedule_states", lambda conn: conn.execute(query).all())
        return [_state_from_row(row._mapping) for row in rows]

    def ensure_schedule_states(
        self, keys: Collection[tuple[str, str]], last_tick_at: dt.datetime
    ) -> None:
        """Start the bookkeeping of `(job, key)` pairs at `last_tick_at`: missing states
        are created, states without a last tick (made by a toggle) get one."""
        wanted = set(keys)
        if not wanted:
            return

        dialect = self._tx.dialect

        def tx(conn: Connection) -> None:
            dialect.lock(conn, LockArea.SCHEDULES)
            now = utcnow()
            existing = {tuple(row) for row in conn.execute(
                select(_states.c.job_name, _states.c.schedule_key))}
            rows = [
                {"job_name": job, "schedule_key": key, "last_tick_at": last_tick_at,
                 "enabled_changed_at": now, "updated_at": now}
                for job, key in sorted(wanted - existing)
            ]
            if rows:
                conn.execute(_states.insert(), rows)
            started = [{"key_job": job, "key_schedule": key, "new_tick_at": last_tick_at,
                        "new_updated_at": now} for job, key in sorted(wanted & existing)]
            if started:
                conn.execute(_START_CURSOR, started)

        self._tx.write_unique("ensure_schedule_states", tx)

    def set_schedule_enabled(
        self, job_name: str, schedule_key: str, enabled: bool | None
    ) -> ScheduleState:
        """Store the Enabled override (None: back to the code's default)."""
        now = utcnow()
        dialect = self._tx.dialect

        def tx(conn: Connection) -> ScheduleState:
            dialect.lock(conn, LockArea.SCHEDULES)
            values = {"enabled_override": enabled, "enabled_changed_at": now, "updated_at": now}
            changed = conn.execute(
                update(_states).where(_states.c.job_name == job_name,
                                      _states.c.schedule_key == schedule_key).values(values)
            ).rowcount
            if not changed:
                conn.execute(_states.insert().values(job_name=job_name,
                                                     schedule_key=schedule_key, **values))
            return _get_state(conn, job_name, schedule_key)

        return self._tx.write_unique("set_schedule_enabled", tx)

    def claim_ticks(self, claims: Sequence[TickClaim], decide: TickDecider) -> list[ScheduleTick]:
        """Claim ticks and apply what `decide` makes of them (see ScheduleStorage)."""
        by_schedule: dict[ScheduleId, list[TickClaim]] = defaultdict(list)
        for claim in claims:
            by_schedule[claim.schedule_id].append(claim)
        groups = list(by_schedule.values())
        dialect = self._tx.dialect
        stored: list[ScheduleTick] = []
        for start in range(0, len(groups), _CHUNK):
            chunk = [claim for group in groups[start:start + _CHUNK] for claim in group]
            stored.extend(self._tx.write_unique(
                "claim_ticks",
                functools.partial(_claim_in, dialect, claims=chunk, decide=decide),
                announce=any(claim.run is not None for claim in chunk)))
        return stored

    def list_ticks(
        self,
        job_name: str | None = None,
        schedule_key: str | None = None,
        *,
        statuses: Sequence[TickStatus] | None = None,
        limit: int = 50,
        after: TickPosition | None = None,
    ) -> list[ScheduleTick]:
        """Ticks newest first (by scheduled time, then id), optionally filtered, from just
        after `after`."""
        query = select(*_TICK_COLUMNS)
        if job_name is not None:
            query = query.where(_ticks.c.job_name == job_name)
        if schedule_key is not None:
            query = query.where(_ticks.c.schedule_key == schedule_key)
        if statuses is not None:
            query = query.where(_ticks.c.status.in_([TickStatus(s).value for s in statuses]))
        if after is not None:
            query = query.where(or_(_ticks.c.scheduled_for < after.scheduled_for,
                                    and_(_ticks.c.scheduled_for == after.scheduled_for,
                                         _ticks.c.id < after.id)))
        query = query.order_by(_ticks.c.scheduled_for.desc(), _ticks.c.id.desc()).limit(limit)
        rows = self._tx.read("list_ticks", lambda conn: conn.execute(query).all())
        return [_tick_from_row(row._mapping) for row in rows]

    def releasable_ticks(self) -> list[ScheduleTick]:
        """The oldest BUFFERED tick of each schedule with no run queued or running."""
        waiting = _ticks.alias("waiting")
        older = select(waiting.c.id).where(
            waiting.c.status == TickStatus.BUFFERED.value,
            waiting.c.job_name == _ticks.c.job_name,
            waiting.c.schedule_key == _ticks.c.schedule_key,
            or_(waiting.c.scheduled_for < _ticks.c.scheduled_for,
                and_(waiting.c.scheduled_for == _ticks.c.scheduled_for,
                     waiting.c.id < _ticks.c.id)))
        running = select(_runs.c.id).where(
            _runs.c.job_name == _ticks.c.job_name, _runs.c.schedule_key == _ticks.c.schedule_key,
            _runs.c.status.in_(_WAITING_RUN_STATUSES))
        query = (
            select(*_TICK_COLUMNS)
            .where(_ticks.c.status == TickStatus.BUFFERED.value, ~older.exists(),
                   ~running.exists())
            .order_by(_ticks.c.job_name, _ticks.c.schedule_key)
        )
        rows = self._tx.read("releasable_ticks", lambda conn: conn.execute(query).all())
        return [_tick_from_row(row._mapping) for row in rows]

    def delete_schedule_bookkeeping(self, keep: Collection[tuple[str, str]]) -> int:
        """Delete states and ticks of schedules not in `keep`; runs stay."""
        kept = set(keep)

        def tx(conn: Connection) -> int:
            known = {tuple(row) for table in (_states, _ticks) for row in conn.execute(
                select(table.c.job_name, table.c.schedule_key).distinct())}
            gone = sorted(known - kept)
            for table in (_states, _ticks):
                for start in range(0, len(gone), _CHUNK):
                    conn.execute(delete(table).where(tuple_(
                        table.c.job_name, table.c.schedule_key).in_(gone[start:start + _CHUNK])))
            return len(gone)

        return self._tx.write("delete_schedule_bookkeeping", tx)

    def prune_ticks(self, before: dt.datetime) -> int:
        """Delete ticks scheduled before `before`, except BUFFERED ones; returns the count."""
        stmt = delete(_ticks).where(_ticks.c.scheduled_for < before,
                                    _ticks.c.status != TickStatus.BUFFERED.value)
        return int(self._tx.write("prune_ticks", lambda conn: conn.execute(stmt).rowcount))


def _claim_in(dialect: SqlDialect, conn: Connection, claims: Sequence[TickClaim],
              decide: TickDecider) -> list[ScheduleTick]:
    dialect.lock(conn, LockArea.SCHEDULES)
    schedule_ids = sorted({claim.schedule_id for claim in claims})
    states = _states_of(conn, schedule_ids)
    # A tick at or before its schedule's last tick was claimed already (its claim and the
    # cursor move are stored together), possibly by another replica.
    fresh = [c for c in claims if c.buffered_id is not None
             or c.scheduled_for > _cursor(states.get(c.schedule_id))]
    if not fresh:
        return []
    situations = _situations(conn, schedule_ids, states, {
        c.schedule_id: c.pause_after for c in fresh if c.pause_after})
    decisions = list(decide(fresh, situations))
    stored = _apply(conn, decisions)
    _advance_cursors(conn, [c for c in fresh if c.buffered_id is None])
    return stored


_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def _cursor(state: ScheduleState | None) -> dt.datetime:
    return state.last_tick_at if state and state.last_tick_at else _NEVER


def _states_of(conn: Connection, schedule_ids: Sequence[ScheduleId]
               ) -> dict[ScheduleId, ScheduleState]:
    rows = conn.execute(select(*_STATE_COLUMNS).where(
        tuple_(_states.c.job_name, _states.c.schedule_key).in_(schedule_ids)))
    states = (_state_from_row(row._mapping) for row in rows)
    return {(state.job_name, state.schedule_key): state for state in states}


def _situations(conn: Connection, schedule_ids: Sequence[ScheduleId],
                states: Mapping[ScheduleId, ScheduleState],
                outcomes_wanted: Mapping[ScheduleId, int]) -> dict[ScheduleId, ScheduleSituation]:
    in_chunk = tuple_(_runs.c.job_name, _runs.c.schedule_key).in_(schedule_ids)
    running: dict[ScheduleId, list[str]] = defaultdict(list)
    for job, key, run_id in conn.execute(
        select(_runs.c.job_name, _runs.c.schedule_key, _runs.c.id)
        .where(_runs.c.status.in_(_WAITING_RUN_STATUSES), in_chunk)
        .order_by(_runs.c.created_at, _runs.c.id)
    ):
        running[(job, key)].append(run_id)
    buffered: dict[ScheduleId, list[int]] = defaultdict(list)
    for job, key, tick_id in conn.execute(
        select(_ticks.c.job_name, _ticks.c.schedule_key, _ticks.c.id)
        .where(_ticks.c.status == TickStatus.BUFFERED.value,
               tuple_(_ticks.c.job_name, _ticks.c.schedule_key).in_(schedule_ids))
        .order_by(_ticks.c.scheduled_for, _ticks.c.id)
    ):
        buffered[(job, key)].append(tick_id)
    outcomes = _recent_outcomes(conn, outcomes_wanted)
    situations = {}
    for schedule_id in schedule_ids:
        state = states.get(schedule_id)
        situations[schedule_id] = ScheduleSituation(
            enabled_override=state.enabled_override if state else None,
            active_run_ids=tuple(running.get(schedule_id, ())),
            buffered_ids=tuple(buffered.get(schedule_id, ())),
            recent_outcomes=tuple(outcomes.get(schedule_id, ())),
        )
    return situations


def _recent_outcomes(conn: Connection, wanted: Mapping[ScheduleId, int]
                     ) -> dict[ScheduleId, list[RunStatus]]:
    """Per schedule, its latest `wanted[schedule]` SUCCESS/FAILURE statuses since its
    override last changed, newest first: one query for all."""
    if not wanted:
        return {}
    rank = func.row_number().over(
        partition_by=(_runs.c.job_name, _runs.c.schedule_key),
        order_by=(_runs.c.created_at.desc(), _runs.c.id.desc()),
    ).label("rank")
    joined = _runs.outerjoin(_states, and_(_states.c.job_name == _runs.c.job_name,
                                           _states.c.schedule_key == _runs.c.schedule_key))
    ranked = (
        select(_runs.c.job_name, _runs.c.schedule_key, _runs.c.status, rank)
        .select_from(joined)
        .where(tuple_(_runs.c.job_name, _runs.c.schedule_key).in_(list(wanted)),
               _runs.c.status.in_([RunStatus.SUCCESS.value, RunStatus.FAILURE.value]),
               or_(_states.c.enabled_changed_at.is_(None),
                   _runs.c.created_at >= _states.c.enabled_changed_at))
        .subquery()
    )
    outcomes: dict[ScheduleId, list[RunStatus]] = defaultdict(list)
    for job, key, status in conn.execute(
        select(ranked.c.job_name, ranked.c.schedule_key, ranked.c.status)
        .where(ranked.c.rank <= max(wanted.values()))
        .order_by(ranked.c.job_name, ranked.c.schedule_key, ranked.c.rank)
    ):
        if len(outcomes[(job, key)]) < wanted[(job, key)]:
            outcomes[(job, key)].append(RunStatus(status))
    return outcomes


def _apply(conn: Connection, decisions: Sequence[TickDecision]) -> list[ScheduleTick]:
    """Store the decisions: new runs, events and ticks each in one statement."""
    now = utcnow()
    launched = [d for d in decisions if d.run is not None]
    if launched:  # first: a decision may cancel a run launched earlier in the batch
        insert_runs(conn, [d.run for d in launched if d.run])
        insert_events(conn, [_queued_event(d) for d in launched])
    stored: dict[int, ScheduleTick] = {}
    for index, decision in enumerate(decisions):
        for run_id in decision.cancel_run_ids:
            cancel_in_transaction(conn, run_id, now)
        tick = decision.tick
        if decision.pause:
            conn.execute(update(_states).where(
                _states.c.job_name == tick.job_name, _states.c.schedule_key == tick.schedule_key,
            ).values(enabled_override=False, enabled_changed_at=now, updated_at=now))
        if decision.release_id is not None:
            released = conn.execute(
                update(_ticks).where(_ticks.c.id == decision.release_id,
                                     _ticks.c.status == TickStatus.BUFFERED.value)
                .values(status=tick.status.value, run_id=tick.run_id, reason=tick.reason)
            ).rowcount
            if not released:
                raise StorageError(f"buffered tick {decision.release_id} changed while it was "
                                   "being released")
            stored[index] = attrs.evolve(tick, id=decision.release_id)
    new = {i: d.tick for i, d in enumerate(decisions) if d.release_id is None}
    if new:
        ids = conn.scalars(_INSERT_TICK, [_tick_values(tick) for tick in new.values()]).all()
        for (index, tick), tick_id in zip(new.items(), ids, strict=True):
            stored[index] = attrs.evolve(tick, id=tick_id)
    return [stored[index] for index in sorted(stored)]


_INSERT_TICK = _ticks.insert().returning(_ticks.c.id, sort_by_parameter_order=True)


def _tick_values(tick: ScheduleTick) -> dict[str, Any]:
    values = record_values(tick)
    del values["id"]
    values["status"] = tick.status.value
    return values


def _queued_event(decision: TickDecision) -> Event:
    tick = decision.tick
    assert decision.run is not None
    return Event(run_id=decision.run.id, kind=EventKind.RUN_QUEUED, level="INFO",
                 message=f"run queued by schedule {tick.schedule_key!r} for "
                         f"{tick.scheduled_for.isoformat()}")


_START_CURSOR = update(_states).where(
    _states.c.job_name == bindparam("key_job"),
    _states.c.schedule_key == bindparam("key_schedule"),
    _states.c.last_tick_at.is_(None),
).values(last_tick_at=bindparam("new_tick_at"), updated_at=bindparam("new_updated_at"))

_ADVANCE_CURSOR = update(_states).where(
    _states.c.job_name == bindparam("key_job"),
    _states.c.schedule_key == bindparam("key_schedule"),
    or_(_states.c.last_tick_at.is_(None), _states.c.last_tick_at < bindparam("new_tick_at")),
).values(last_tick_at=bindparam("new_tick_at"), updated_at=bindparam("new_updated_at"))


def _advance_cursors(conn: Connection, claims: Sequence[TickClaim]) -> None:
    """Move each schedule's `last_tick_at` to its latest claimed tick (never backwards)."""
    latest: dict[ScheduleId, dt.datetime] = {}
    for claim in claims:
        latest[claim.schedule_id] = max(claim.scheduled_for,
                                        latest.get(claim.schedule_id, claim.scheduled_for))
    if not latest:
        return
    now = utcnow()
    existing = {tuple(row) for row in conn.execute(
        select(_states.c.job_name, _states.c.schedule_key)
        .where(tuple_(_states.c.job_name, _states.c.schedule_key).in_(list(latest))))}
    missing = [
        {"job_name": job, "schedule_key": key, "last_tick_at": when, "updated_at": now}
        for (job, key), when in latest.items() if (job, key) not in existing
    ]
    if missing:
        conn.execute(_states.insert(), missing)
    moved = [
        {"key_job": job, "key_schedule": key, "new_tick_at": when, "new_updated_at": now}
        for (job, key), when in latest.items() if (job, key) in existing
    ]
    if moved:
        conn.execute(_ADVANCE_CURSOR, moved)


def _get_state(conn: Connection, job_name: str, schedule_key: str) -> ScheduleState:
    row = conn.execute(select(*_STATE_COLUMNS).where(
        and_(_states.c.job_name == job_name, _states.c.schedule_key == schedule_key))).one()
    return _state_from_row(row._mapping)


def _state_from_row(row: RowMapping) -> ScheduleState:
    enabled = row["enabled_override"]
    return ScheduleState(**{**row, "enabled_override": None if enabled is None else bool(enabled)})


def _tick_from_row(row: RowMapping) -> ScheduleTick:
    return ScheduleTick(**{**row, "status": TickStatus(row["status"])})

