"""Run events on SQL: the append-only log of transitions and log lines, paged by id."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Integer, Select, bindparam, func, or_, select, union_all

from daggo_core.storage.base import EventFilter, EventListener, Fence
from daggo_core.storage.records import Event, EventKind
from daggo_core.storage.schema import events as _events
from daggo_core.storage.sql_rows import check_fence, columns_of, insert_events
from daggo_core.storage.sql_transactions import Transactions

__all__ = ["SqlEvents"]

_EVENT_COLUMNS = columns_of(_events, Event)
_ALL_EVENTS = EventFilter()


class SqlEvents:
    """The `EventStorage` part of SqlStorage."""

    _tx: Transactions

    def add_events(self, events: Sequence[Event], *, fence: Fence | None = None) -> None:
        """Append events (log lines, transitions) to their runs' event logs; with
        `fence`, only while the run is active in that attempt (AttemptSupersededError)."""
        if not events:
            return

        def tx(conn: Connection) -> None:
            if fence is not None:
                check_fence(conn, fence)
            insert_events(conn, events)

        self._tx.write("add_events", tx)

    def add_event_listener(self, listener: EventListener) -> None:
        """Call `listener(events)` after each committed transaction that stored events."""
        self._tx.event_listeners.append(listener)

    def list_events(
        self,
        run_id: str,
        where: EventFilter | None = None,
        *,
        after_id: int = 0,
        before_id: int | None = None,
        newest_first: bool = False,
        limit: int = 1000,
    ) -> list[Event]:
        """The run's events matching `where` with `after_id` < id < `before_id`, oldest
        first, or with `newest_first` the newest `limit` of them, newest first."""
        where = where or _ALL_EVENTS
        kinds = None if where.kinds is None else tuple(EventKind(k).value for k in where.kinds)
        levels = None if where.levels is None else tuple(where.levels)
        shape = (before_id is not None, where.step_key is not None, kinds, levels, newest_first)
        # Any text searched for: not a statement to keep.
        query = (_events_statement(*shape, where.search) if where.search
                 else _events_query(*shape))
        params = {"run_id": run_id, "after_id": after_id, "before_id": before_id,
                  "step_key": where.step_key, "limit": limit}
        return self._tx.read("list_events", lambda conn: _rows_to_events(conn, query, params))

    def list_events_since(self, after_id: int, *, gaps: Sequence[tuple[int, int]] = (),
                          limit: int = 1000) -> list[Event]:
        """Events of every run with id above `after_id` or in one of the inclusive id
        ranges `gaps`, oldest first, at most `limit`."""
        params: dict[str, Any] = {"after_id": after_id, "limit": limit}
        for i, (low, high) in enumerate(gaps):
            params[f"low_{i}"], params[f"high_{i}"] = low, high
        query = _events_since_query(len(gaps))
        return self._tx.read("list_events_since",
                             lambda conn: _rows_to_events(conn, query, params))

    def last_event_id(self) -> int:
        """The highest event id stored, 0 if none."""
        query = select(func.coalesce(func.max(_events.c.id), 0))
        return int(self._tx.read("last_event_id", lambda conn: conn.execute(query).scalar_one()))


@functools.lru_cache(maxsize=256)
def _events_query(before: bool, step: bool, kinds: tuple[str, ...] | None,
                  levels: tuple[str, ...] | None, newest_first: bool) -> Select[Any]:
    """`list_events`' statement for a shape of request, built once (building and hashing
    a statement costs more than a small query): the run, ids, step and limit are bound
    parameters; the kinds and levels are part of the shape."""
    return _events_statement(before, step, kinds, levels, newest_first, None)


def _events_statement(before: bool, step: bool, kinds: tuple[str, ...] | None,
                      levels: tuple[str, ...] | None, newest_first: bool,
                      search: str | None) -> Select[Any]:
    """The statement of `_events_query`, with `search` (a text the message contains).

    Several kinds are read kind by kind, each a range of the (run, kind, id) index in id
    order, and merged: a single range of the (run, id) index filtered by kind would read
    every event of a run to find a few (its step events among 100,000 log lines).
    """
    order = _events.c.id.desc() if newest_first else _events.c.id
    limit = bindparam("limit", type_=Integer)

    def matching(*where: Any) -> Select[Any]:
        query = select(*_EVENT_COLUMNS).where(_events.c.run_id == bindparam("run_id"),
                                              _events.c.id > bindparam("after_id"), *where)
        if before:
            query = query.where(_events.c.id < bindparam("before_id"))
        if step:
            query = query.where(_events.c.step_key == bindparam("step_key"))
        if levels is not None:
            query = query.where(_events.c.level.in_(levels))
        if search:
            query = query.where(_events.c.message.icontains(search, autoescape=True))
        return query.order_by(order).limit(limit)

    if kinds is None:
        return matching()
    if len(kinds) == 1:
        return matching(_events.c.kind == kinds[0])
    merged = union_all(*(matching(_events.c.kind == kind).subquery().select()
                         for kind in kinds)).subquery("by_kind")
    return (select(*(merged.c[column.name] for column in _EVENT_COLUMNS))
            .order_by(merged.c.id.desc() if newest_first else merged.c.id).limit(limit))


@functools.lru_cache(maxsize=64)
def _events_since_query(gaps: int) -> Select[Any]:
    """`list_events_since`' statement for `gaps` id ranges, built once per count (the
    streams' feed runs it every few tens of milliseconds)."""
    wanted = or_(_events.c.id > bindparam("after_id"),
                 *(_events.c.id.between(bindparam(f"low_{i}"), bindparam(f"high_{i}"))
                   for i in range(gaps)))
    return (select(*_EVENT_COLUMNS).where(wanted).order_by(_events.c.id)
            .limit(bindparam("limit", type_=Integer)))


def _rows_to_events(conn: Connection, query: Select[Any],
                    params: Mapping[str, Any] | None = None) -> list[Event]:
    # Positional unpacking in `_EVENT_COLUMNS` order: a log page is read row by row
    # (100,000 lines in well under a second), so no mapping per row.
    kinds = _KINDS
    return [
        Event(run_id=run_id, kind=kinds[kind], step_key=step_key, timestamp=timestamp,
              level=level, message=message, data=data, id=event_id)
        for run_id, kind, step_key, timestamp, level, message, data, event_id
        in conn.execute(query, params)
    ]


_KINDS = {kind.value: kind for kind in EventKind}
assert tuple(c.name for c in _EVENT_COLUMNS) == (
    "run_id", "kind", "step_key", "timestamp", "level", "message", "data", "id"), \
    "Event's fields changed: update the unpacking in list_events"
