from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.tick_status import TickStatus

T = TypeVar("T", bound="TickInfo")


@_attrs_define
class TickInfo:
    """One tick of a schedule: what it did, and why when it did not launch.

    Attributes:
        id (int):
        job_name (str):
        schedule_key (str):
        scheduled_for (datetime.datetime):
        status (TickStatus): What became of one tick of a schedule.
        run_id (None | str):
        reason (None | str):
    """

    id: int
    job_name: str
    schedule_key: str
    scheduled_for: datetime.datetime
    status: TickStatus
    run_id: None | str
    reason: None | str

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        job_name = self.job_name

        schedule_key = self.schedule_key

        scheduled_for = self.scheduled_for.isoformat()

        status = self.status.value

        run_id: None | str
        run_id = self.run_id

        reason: None | str
        reason = self.reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "job_name": job_name,
                "schedule_key": schedule_key,
                "scheduled_for": scheduled_for,
                "status": status,
                "run_id": run_id,
                "reason": reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        job_name = d.pop("job_name")

        schedule_key = d.pop("schedule_key")

        scheduled_for = datetime.datetime.fromisoformat(d.pop("scheduled_for"))

        status = TickStatus(d.pop("status"))

        def _parse_run_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        run_id = _parse_run_id(d.pop("run_id"))

        def _parse_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        reason = _parse_reason(d.pop("reason"))

        tick_info = cls(
            id=id,
            job_name=job_name,
            schedule_key=schedule_key,
            scheduled_for=scheduled_for,
            status=status,
            run_id=run_id,
            reason=reason,
        )

        return tick_info
