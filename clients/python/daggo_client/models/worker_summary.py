from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.worker_status import WorkerStatus

T = TypeVar("T", bound="WorkerSummary")


@_attrs_define
class WorkerSummary:
    """One worker process: `id` is the `host:pid` its runs record as their worker;
    `run_id` and `job_name` are those of the run it executes (or last executed, when
    LOST); `version` is daggo's version in it.

        Attributes:
            id (str):
            host (str):
            pid (int):
            executor (str):
            state (WorkerStatus): A worker's state as shown: what its executor stored, or LOST.
            run_id (None | str):
            job_name (None | str):
            started_at (datetime.datetime):
            heartbeat_at (datetime.datetime):
            version (str):
    """

    id: str
    host: str
    pid: int
    executor: str
    state: WorkerStatus
    run_id: None | str
    job_name: None | str
    started_at: datetime.datetime
    heartbeat_at: datetime.datetime
    version: str

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        host = self.host

        pid = self.pid

        executor = self.executor

        state = self.state.value

        run_id: None | str
        run_id = self.run_id

        job_name: None | str
        job_name = self.job_name

        started_at = self.started_at.isoformat()

        heartbeat_at = self.heartbeat_at.isoformat()

        version = self.version

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "host": host,
                "pid": pid,
                "executor": executor,
                "state": state,
                "run_id": run_id,
                "job_name": job_name,
                "started_at": started_at,
                "heartbeat_at": heartbeat_at,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        host = d.pop("host")

        pid = d.pop("pid")

        executor = d.pop("executor")

        state = WorkerStatus(d.pop("state"))

        def _parse_run_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        run_id = _parse_run_id(d.pop("run_id"))

        def _parse_job_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        job_name = _parse_job_name(d.pop("job_name"))

        started_at = datetime.datetime.fromisoformat(d.pop("started_at"))

        heartbeat_at = datetime.datetime.fromisoformat(d.pop("heartbeat_at"))

        version = d.pop("version")

        worker_summary = cls(
            id=id,
            host=host,
            pid=pid,
            executor=executor,
            state=state,
            run_id=run_id,
            job_name=job_name,
            started_at=started_at,
            heartbeat_at=heartbeat_at,
            version=version,
        )

        return worker_summary
