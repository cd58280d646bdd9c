"""Dynamic partition sets on SQL: their keys, in the order they were added."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import Connection, bindparam, delete, select

from daggo_core.storage.bulk import BulkStatement
from daggo_core.storage.records import utcnow
from daggo_core.storage.schema import dynamic_partitions as _keys
from daggo_core.storage.sql_dialect import LockArea
from daggo_core.storage.sql_rows import chunks
from daggo_core.storage.sql_transactions import Transactions

__all__ = ["SqlPartitions"]

_INSERT_KEYS = BulkStatement(_keys.insert(), ("set_name", "partition_key", "created_at"))
_STORED_KEYS = select(_keys.c.partition_key).where(
    _keys.c.set_name == bindparam("set_name"),
    _keys.c.partition_key.in_(bindparam("keys", expanding=True)))
_DELETE_KEYS = delete(_keys).where(
    _keys.c.set_name == bindparam("set_name"),
    _keys.c.partition_key.in_(bindparam("keys", expanding=True)))
_LIST_KEYS = (select(_keys.c.partition_key).where(_keys.c.set_name == bindparam("set_name"))
              .order_by(_keys.c.id))


class SqlPartitions:
    """The `PartitionStorage` part of SqlStorage."""

    _tx: Transactions

    def add_dynamic_partitions(self, set_name: str, keys: Sequence[str]) -> list[str]:
        """Add the keys the set does not hold yet, in order, once each (one insert for
        all); returns those. Under the ASSETS lock: two processes adding a key at once
        add it once."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return []
        dialect = self._tx.dialect

        def tx(conn: Connection) -> list[str]:
            dialect.lock(conn, LockArea.ASSETS)
            stored: set[str] = set()
            for part in chunks(wanted):
                stored.update(conn.scalars(_STORED_KEYS, {"set_name": set_name,
                                                          "keys": list(part)}))
            added = [key for key in wanted if key not in stored]
            now = utcnow()
            _INSERT_KEYS.execute(conn, [(set_name, key, now) for key in added], many=dialect)
            return added

        return self._tx.write("add_dynamic_partitions", tx)

    def delete_dynamic_partitions(self, set_name: str, keys: Collection[str]) -> int:
        """Remove keys from the set (their assets' history stays); returns how many."""
        doomed = sorted(set(keys))
        if not doomed:
            return 0

        def tx(conn: Connection) -> int:
            return sum(conn.execute(_DELETE_KEYS, {"set_name": set_name,
                                                   "keys": list(part)}).rowcount
                       for part in chunks(doomed))

        return self._tx.write("delete_dynamic_partitions", tx)

    def list_dynamic_partitions(self, set_name: str) -> list[str]:
        """Every key of the set, in the order added."""
        return self._tx.read("list_dynamic_partitions", lambda conn: list(
            conn.scalars(_LIST_KEYS, {"set_name": set_name})))
