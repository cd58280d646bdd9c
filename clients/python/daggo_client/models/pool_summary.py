from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.pool_status import PoolStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="PoolSummary")


@_attrs_define
class PoolSummary:
    """One pool: a server's coordinator and executor (`subprocess@host:pid`), or a
    plugin's pool of workers; `active_runs` are the runs it executes (as its owner counts
    them, or as its workers' rows hold them, whichever is more), `workers` how many
    worker rows are in it; `version` is the deploy version of its code;
    `drain_requested_at` when it was asked to drain, `drain_accepted_at` when its owner
    stopped taking runs.

        Attributes:
            name (str):
            executor (str):
            host (str):
            version (str):
            queues (list[str]):
            state (PoolStatus): A pool's state as shown.
            active_runs (int):
            workers (int):
            started_at (datetime.datetime):
            heartbeat_at (datetime.datetime):
            drain_requested_at (datetime.datetime | None | Unset):
            drain_accepted_at (datetime.datetime | None | Unset):
    """

    name: str
    executor: str
    host: str
    version: str
    queues: list[str]
    state: PoolStatus
    active_runs: int
    workers: int
    started_at: datetime.datetime
    heartbeat_at: datetime.datetime
    drain_requested_at: datetime.datetime | None | Unset = UNSET
    drain_accepted_at: datetime.datetime | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        executor = self.executor

        host = self.host

        version = self.version

        queues = self.queues

        state = self.state.value

        active_runs = self.active_runs

        workers = self.workers

        started_at = self.started_at.isoformat()

        heartbeat_at = self.heartbeat_at.isoformat()

        drain_requested_at: None | str | Unset
        if isinstance(self.drain_requested_at, Unset):
            drain_requested_at = UNSET
        elif isinstance(self.drain_requested_at, datetime.datetime):
            drain_requested_at = self.drain_requested_at.isoformat()
        else:
            drain_requested_at = self.drain_requested_at

        drain_accepted_at: None | str | Unset
        if isinstance(self.drain_accepted_at, Unset):
            drain_accepted_at = UNSET
        elif isinstance(self.drain_accepted_at, datetime.datetime):
            drain_accepted_at = self.drain_accepted_at.isoformat()
        else:
            drain_accepted_at = self.drain_accepted_at

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "executor": executor,
                "host": host,
                "version": version,
                "queues": queues,
                "state": state,
                "active_runs": active_runs,
                "workers": workers,
                "started_at": started_at,
                "heartbeat_at": heartbeat_at,
            }
        )
        if drain_requested_at is not UNSET:
            field_dict["drain_requested_at"] = drain_requested_at
        if drain_accepted_at is not UNSET:
            field_dict["drain_accepted_at"] = drain_accepted_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        executor = d.pop("executor")

        host = d.pop("host")

        version = d.pop("version")

        queues = cast(list[str], d.pop("queues"))

        state = PoolStatus(d.pop("state"))

        active_runs = d.pop("active_runs")

        workers = d.pop("workers")

        started_at = datetime.datetime.fromisoformat(d.pop("started_at"))

        heartbeat_at = datetime.datetime.fromisoformat(d.pop("heartbeat_at"))

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

        def _parse_drain_accepted_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                drain_accepted_at_type_0 = datetime.datetime.fromisoformat(data)

                return drain_accepted_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        drain_accepted_at = _parse_drain_accepted_at(d.pop("drain_accepted_at", UNSET))

        pool_summary = cls(
            name=name,
            executor=executor,
            host=host,
            version=version,
            queues=queues,
            state=state,
            active_runs=active_runs,
            workers=workers,
            started_at=started_at,
            heartbeat_at=heartbeat_at,
            drain_requested_at=drain_requested_at,
            drain_accepted_at=drain_accepted_at,
        )

        return pool_summary
