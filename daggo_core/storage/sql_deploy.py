"""Deploy locks on SQL, decided under the claims' lock (see `DeployStorage`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, RowMapping, bindparam, func, or_, select, update

from daggo_core.errors import NotFoundError
from daggo_core.storage.drain_records import DeployLock, DeployState
from daggo_core.storage.records import ACTIVE_RUN_STATUSES
from daggo_core.storage.schema import deploy_locks as _locks
from daggo_core.storage.schema import runs as _runs
from daggo_core.storage.sql_dialect import LockArea
from daggo_core.storage.sql_rows import columns_of
from daggo_core.storage.sql_transactions import Transactions

__all__ = ["SqlDeploy", "claims_allowed"]

_LOCK_COLUMNS = columns_of(_locks, DeployLock)
_GET_LOCK = select(*_LOCK_COLUMNS).where(_locks.c.name == bindparam("key_name"))
_LOCK_STATE = select(_locks.c.version, _locks.c.state).where(
    _locks.c.name == bindparam("key_name"))
_UPDATE_LOCK = update(_locks).where(_locks.c.name == bindparam("key_name"))
_OTHER_VERSIONS_ACTIVE = select(func.count()).select_from(_runs).where(
    _runs.c.status.in_(sorted(s.value for s in ACTIVE_RUN_STATUSES)),
    or_(_runs.c.claimed_version.is_(None), _runs.c.claimed_version != bindparam("version")))


def claims_allowed(conn: Connection, name: str, version: str | None) -> bool:
    """Whether a server of `version` may claim under deploy lock `name` (in a claim
    transaction, after the claims' lock): no such lock, or it is ACTIVE for `version`."""
    row = conn.execute(_LOCK_STATE, {"key_name": name}).first()
    return row is None or (row.version == version and row.state == DeployState.ACTIVE.value)


class SqlDeploy:
    """The `DeployStorage` part of SqlStorage."""

    _tx: Transactions

    def announce_deploy(self, name: str, version: str, *, holder: str, at: dt.datetime,
                        deadline: dt.datetime) -> DeployLock:
        """Take lock `name` for `version` (DRAINING), unless it is that version's."""
        dialect = self._tx.dialect

        def tx(conn: Connection) -> DeployLock:
            dialect.lock(conn, LockArea.CLAIMS)
            current = _get(conn, name)
            if current is not None and current.version == version:
                return current
            values = {"version": version, "state": DeployState.DRAINING.value,
                      "holder": holder, "draining_since": at, "deadline": deadline,
                      "active_since": None, "handed_back": 0,
                      "previous_version": current.version if current else None}
            if current is None:
                conn.execute(_locks.insert(), {"name": name, **values})
            else:
                conn.execute(_UPDATE_LOCK, {"key_name": name, **values})
            found = _get(conn, name)
            assert found is not None
            return found

        return self._tx.write_unique("announce_deploy", tx)

    def get_deploy_lock(self, name: str) -> DeployLock | None:
        """The lock `name`, if any."""
        return self._tx.read("get_deploy_lock", lambda conn: _get(conn, name))

    def finish_deploy_drain(self, name: str, version: str, *, at: dt.datetime) -> DeployLock:
        """ACTIVE for `version` once no run claimed by another version is active."""
        dialect = self._tx.dialect

        def tx(conn: Connection) -> DeployLock:
            dialect.lock(conn, LockArea.CLAIMS)
            current = _get(conn, name)
            if current is None:
                raise NotFoundError(f"no deploy lock named {name!r}")
            if current.version != version or current.state is not DeployState.DRAINING:
                return current
            if conn.execute(_OTHER_VERSIONS_ACTIVE, {"version": version}).scalar_one():
                return current
            conn.execute(_UPDATE_LOCK, {"key_name": name, "state": DeployState.ACTIVE.value,
                                        "active_since": at})
            found = _get(conn, name)
            assert found is not None
            return found

        return self._tx.write("finish_deploy_drain", tx)

    def add_handed_back(self, name: str, version: str, count: int) -> None:
        """Count runs handed back to `version` on lock `name`."""
        statement = (update(_locks).where(_locks.c.name == name, _locks.c.version == version)
                     .values(handed_back=_locks.c.handed_back + count))
        self._tx.write("add_handed_back", lambda conn: conn.execute(statement))


def _get(conn: Connection, name: str) -> DeployLock | None:
    row = conn.execute(_GET_LOCK, {"key_name": name}).first()
    return None if row is None else _lock_from_row(row._mapping)


def _lock_from_row(row: RowMapping) -> DeployLock:
    return DeployLock(**{**row, "state": DeployState(row["state"])})
