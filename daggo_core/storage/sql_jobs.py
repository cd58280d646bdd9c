"""Job metadata on SQL: the jobs defined in code, each with its typed snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, bindparam, select

from daggo_core import serde
from daggo_core.definitions.snapshot import JobSnapshot
from daggo_core.storage.records import JobRecord
from daggo_core.storage.schema import jobs as _jobs
from daggo_core.storage.sql_rows import columns_of, sync_active
from daggo_core.storage.sql_transactions import Transactions

__all__ = ["SqlJobs"]

_JOB_COLUMNS = columns_of(_jobs, JobRecord)
_GET_JOB = select(*_JOB_COLUMNS).where(_jobs.c.name == bindparam("name"))


class SqlJobs:
    """The `JobStorage` part of SqlStorage."""

    _tx: Transactions

    def sync_jobs(self, jobs: Sequence[JobRecord]) -> None:
        """Upsert `jobs` as the active set; jobs missing from it are marked inactive.

        Processes starting together sync the same jobs: an insert that meets another
        process's row is run again as an update.
        """
        rows = [_job_values(job) for job in {job.name: job for job in jobs}.values()]
        self._tx.write_unique("sync_jobs", lambda conn: sync_active(conn, _jobs, rows))

    def get_job(self, name: str) -> JobRecord | None:
        """Return the job named `name` (active or not), or None."""
        row = self._tx.read("get_job",
                            lambda conn: conn.execute(_GET_JOB, {"name": name}).one_or_none())
        return None if row is None else _job_from_row(row._mapping)

    def list_jobs(self, *, include_inactive: bool = False, after: str | None = None,
                  limit: int | None = None,
                  name_contains: str | None = None) -> list[JobRecord]:
        """Return jobs ordered by name (in the database's collation): at most `limit`,
        those named after `after` (a keyset page), whose name contains `name_contains`
        (in any case) if given."""
        query = select(*_JOB_COLUMNS).order_by(_jobs.c.name).limit(limit)
        if not include_inactive:
            query = query.where(_jobs.c.active.is_(True))
        if after is not None:
            query = query.where(_jobs.c.name > after)
        if name_contains:
            query = query.where(_jobs.c.name.icontains(name_contains, autoescape=True))
        rows = self._tx.read("list_jobs", lambda conn: conn.execute(query).all())
        return [_job_from_row(row._mapping) for row in rows]


def _job_values(job: JobRecord) -> dict[str, Any]:
    return {"name": job.name, "description": job.description,
            "snapshot": serde.unstructure(job.snapshot), "active": True,
            "updated_at": job.updated_at}


def _job_from_row(row: RowMapping) -> JobRecord:
    return JobRecord(name=row["name"], description=row["description"],
                     snapshot=serde.structure(row["snapshot"], JobSnapshot),
                     active=bool(row["active"]), updated_at=row["updated_at"])
