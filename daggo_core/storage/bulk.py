"""Many-row writes and reads on a hot path: a statement compiled once, rows passed as
plain tuples.

SQLAlchemy's `conn.execute(stmt, rows)` builds each row's parameters through the
compiled statement (a few microseconds per row and column); a run writes a step record
and two events per step. `BulkStatement` compiles its statement once per dialect, runs
each value through its column type's bind processor (exactly what SQLAlchemy does) and
hands the rows to the driver's executemany. `RawQuery` reads many rows of plain values
(a grid of 100,000 partitions) as the driver gives them, without a `Row` per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from attrs import frozen
from sqlalchemy import Connection, Dialect, Select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert, ValuesBase
from sqlalchemy.sql.expression import UpdateBase
from sqlalchemy.types import TypeEngine

if TYPE_CHECKING:
    from daggo_core.storage.sql_dialect import SqlDialect

__all__ = ["MANY_ROWS", "BulkStatement", "RawQuery"]

#: The fewest rows `BulkStatement.execute(..., many=...)` hands to the dialect's
#: `insert_many`.
MANY_ROWS = 100


@frozen
class _Compiled:
    sql: str
    positional: bool
    keys: tuple[str, ...]
    constants: tuple[Any, ...]
    fields: tuple[tuple[int, Callable[[Any], Any] | None], ...]


class BulkStatement:
    """`stmt`, executed over rows whose values follow `names`.

    `names` are the statement's bind parameters: for an INSERT or UPDATE, the column
    keys to set plus the names of any `bindparam()` in it. Binds with a value of their
    own (literals in an expression) keep it. A row layout that does not match the
    statement fails on first use, naming both.
    """

    def __init__(self, stmt: ValuesBase | UpdateBase, names: Sequence[str]) -> None:
        self.stmt = stmt
        self.names = tuple(names)
        self._compiled: dict[tuple[type[Dialect], str], _Compiled] = {}

    def execute(self, conn: Connection, rows: Sequence[Sequence[Any]], *,
                many: SqlDialect | None = None) -> int:
        """Execute the statement once per row (one executemany); returns the rowcount.

        With `many`, a plain INSERT of at least `MANY_ROWS` rows goes through the
        dialect's `insert_many` where it has one (a bulk load, say)."""
        if not rows:
            return 0
        dialect = conn.dialect
        compiled = self._compiled.get((type(dialect), dialect.paramstyle))
        if compiled is None:
            compiled = self._compiled[(type(dialect), dialect.paramstyle)] = self._compile(
                dialect)
        fields, constants = compiled.fields, compiled.constants
        if constants:
            rows = [(*row, *constants) for row in rows]
        params: list[Any] = [
            tuple([row[i] if p is None else p(row[i]) for i, p in fields]) for row in rows
        ]
        if (many is not None and len(rows) >= MANY_ROWS and not constants
                and isinstance(self.stmt, Insert)
                and many.insert_many(conn, self.stmt.table.name, compiled.keys, params)):
            return len(rows)
        if not compiled.positional:
            keys = compiled.keys
            params = [dict(zip(keys, values, strict=True)) for values in params]
        return conn.exec_driver_sql(compiled.sql, params).rowcount

    def _compile(self, dialect: Dialect) -> _Compiled:
        names = self.names
        values = [n for n in names if n in self.stmt.table.c]
        compiled = self.stmt.compile(dialect=dialect, column_keys=values)
        # The public view of what SQLAlchemy itself binds: the SQL and the parameters in
        # order. A bind the rows do not give keeps the value it has in the statement; one
        # without a value fails here.
        state = compiled.construct_expanded_state(dict.fromkeys(names))
        binds = list(state.positiontup or ()) if compiled.positional else list(state.parameters)
        constants = [b for b in binds if b not in names]
        if sorted(set(binds) - set(constants)) != sorted(names):
            raise ValueError(f"statement binds {binds}, rows give {list(names)}")
        # Each row is extended by the constants, so every bind reads one position.
        index = {name: i for i, name in enumerate((*names, *constants))}
        return _Compiled(
            sql=state.statement,
            positional=compiled.positional,
            keys=tuple(binds),
            constants=tuple(state.parameters[b] for b in constants),
            fields=tuple((index[b], _bind_processor(compiled.binds[b].type, dialect))
                         for b in binds),
        )


class RawQuery:
    """`query`, its rows read from the driver's cursor: tuples of the values the driver
    gives, with none of the columns' result processing (so only for columns of strings
    and numbers). A driver error leaves as SQLAlchemy's exception for it, as from
    `conn.execute`."""

    def __init__(self, query: Select[Any]) -> None:
        self.query = query
        self._compiled: dict[tuple[type[Dialect], str], SQLCompiler] = {}

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
        """The rows of the query with `params` (its binds by name), read as iterated."""
        dialect = conn.dialect
        compiled = self._compiled.get((type(dialect), dialect.paramstyle))
        if compiled is None:
            compiled = self._compiled[(type(dialect), dialect.paramstyle)] = (
                self.query.compile(dialect=dialect))
        values = compiled.construct_params(dict(params))
        args: Any = ([values[name] for name in compiled.positiontup or ()]
                     if compiled.positional else values)
        cursor = conn.connection.cursor()
        try:
            cursor.execute(compiled.string, args)
            # Every driver's cursor iterates over its rows (not part of the DBAPI protocol).
            yield from cast(Iterable[tuple[Any, ...]], cursor)
        except dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                compiled.string, args, exc, dialect.loaded_dbapi.Error, dialect=dialect,
                connection_invalidated=dialect.is_disconnect(exc, conn.connection, cursor),
            ) from exc
        finally:
            cursor.close()


def _bind_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy applies to a value bound as `type_` on `dialect` (None: nothing)."""
    return type_.dialect_impl(dialect).bind_processor(dialect)
