from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.worker_status import WorkerStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="WorkerSummary")


@_attrs_define
class WorkerSummary:
    """One worker process: `id` is the `host:pid` its runs record as their worker;
    `run_id` and `job_name` are those of the run it executes (or last executed, when
    LOST); `pool` is the pool it is drained with (None: none), `queues` the queues it
    takes runs from; `version` is the deploy version of its code; `drain_requested_at`
    when it (or its pool, then `drained_with_pool`) was asked to drain.

        Attributes:
            id (str):
            host (str):
            pid (int):
            executor (str):
            state (WorkerStatus): A worker's state as shown: what its registrant stored, a drain's, or LOST.
            run_id (None | str):
            job_name (None | str):
            started_at (datetime.datetime):
            heartbeat_at (datetime.datetime):
            version (str):
            pool (None | str | Unset):
            queues (list[str] | Unset):
            drain_requested_at (datetime.datetime | None | Unset):
            drained_with_pool (bool | Unset):  Default: False.
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
    pool: None | str | Unset = UNSET
    queues: list[str] | Unset = UNSET
    drain_requested_at: datetime.datetime | None | Unset = UNSET
    drained_with_pool: bool | Unset = False

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

        pool: None | str | Unset
        if isinstance(self.pool, Unset):
            pool = UNSET
        else:
            pool = self.pool

        queues: list[str] | Unset = UNSET
        if not isinstance(self.queues, Unset):
            queues = self.queues

        drain_requested_at: None | str | Unset
        if isinstance(self.drain_requested_at, Unset):
            drain_requested_at = UNSET
        elif isinstance(self.drain_requested_at, datetime.datetime):
            drain_requested_at = self.drain_requested_at.isoformat()
        else:
            drain_requested_at = self.drain_requested_at

        drained_with_pool = self.drained_with_pool

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
        if pool is not UNSET:
            field_dict["pool"] = pool
        if queues is not UNSET:
            field_dict["queues"] = queues
        if drain_requested_at is not UNSET:
            field_dict["drain_requested_at"] = drain_requested_at
        if drained_with_pool is not UNSET:
            field_dict["drained_with_pool"] = drained_with_pool

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

        def _parse_pool(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        pool = _parse_pool(d.pop("pool", UNSET))

        queues = cast(list[str], d.pop("queues", UNSET))

        def _parse_drain_requested_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                drain_requested_at_type_0 = datetime.datetime.fromisoformat(data)

                return drain_requested_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        drain_requested_at = _parse_drain_requested_at(d.pop("drain_requested_at", UNSET))

        drained_with_pool = d.pop("drained_with_pool", UNSET)

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
            pool=pool,
            queues=queues,
            drain_requested_at=drain_requested_at,
            drained_with_pool=drained_with_pool,
        )

        return worker_summary
