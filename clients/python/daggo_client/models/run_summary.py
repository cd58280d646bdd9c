from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.run_status import RunStatus
from ..models.run_trigger import RunTrigger
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.run_summary_tags import RunSummaryTags


T = TypeVar("T", bound="RunSummary")


@_attrs_define
class RunSummary:
    """A run as lists show it: no params, outputs or tracebacks.

    Attributes:
        id (str):
        job_name (str):
        status (RunStatus): Enum where members are also (and must be) strings
        trigger (RunTrigger): What launched a run.
        tags (RunSummaryTags):
        created_at (datetime.datetime):
        started_at (datetime.datetime | None):
        finished_at (datetime.datetime | None):
        duration_seconds (float | None):
        schedule_key (None | str):
        scheduled_for (datetime.datetime | None):
        parent_run_id (None | str):
        wait_reason (None | str):
        cancel_requested (bool):
        error_type (None | str):
        error_message (None | str):
        queue_item_id (None | str | Unset):
        partition_key (None | str | Unset):
    """

    id: str
    job_name: str
    status: RunStatus
    trigger: RunTrigger
    tags: RunSummaryTags
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    duration_seconds: float | None
    schedule_key: None | str
    scheduled_for: datetime.datetime | None
    parent_run_id: None | str
    wait_reason: None | str
    cancel_requested: bool
    error_type: None | str
    error_message: None | str
    queue_item_id: None | str | Unset = UNSET
    partition_key: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        job_name = self.job_name

        status = self.status.value

        trigger = self.trigger.value

        tags = self.tags.to_dict()

        created_at = self.created_at.isoformat()

        started_at: None | str
        if isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        finished_at: None | str
        if isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        duration_seconds: float | None
        duration_seconds = self.duration_seconds

        schedule_key: None | str
        schedule_key = self.schedule_key

        scheduled_for: None | str
        if isinstance(self.scheduled_for, datetime.datetime):
            scheduled_for = self.scheduled_for.isoformat()
        else:
            scheduled_for = self.scheduled_for

        parent_run_id: None | str
        parent_run_id = self.parent_run_id

        wait_reason: None | str
        wait_reason = self.wait_reason

        cancel_requested = self.cancel_requested

        error_type: None | str
        error_type = self.error_type

        error_message: None | str
        error_message = self.error_message

        queue_item_id: None | str | Unset
        if isinstance(self.queue_item_id, Unset):
            queue_item_id = UNSET
        else:
            queue_item_id = self.queue_item_id

        partition_key: None | str | Unset
        if isinstance(self.partition_key, Unset):
            partition_key = UNSET
        else:
            partition_key = self.partition_key

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "job_name": job_name,
                "status": status,
                "trigger": trigger,
                "tags": tags,
                "created_at": created_at,
                "started_at": started_at,
                "finished_at": finished_at,
                "duration_seconds": duration_seconds,
                "schedule_key": schedule_key,
                "scheduled_for": scheduled_for,
                "parent_run_id": parent_run_id,
                "wait_reason": wait_reason,
                "cancel_requested": cancel_requested,
                "error_type": error_type,
                "error_message": error_message,
            }
        )
        if queue_item_id is not UNSET:
            field_dict["queue_item_id"] = queue_item_id
        if partition_key is not UNSET:
            field_dict["partition_key"] = partition_key

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.run_summary_tags import RunSummaryTags  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        job_name = d.pop("job_name")

        status = RunStatus(d.pop("status"))

        trigger = RunTrigger(d.pop("trigger"))

        tags = RunSummaryTags.from_dict(d.pop("tags"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_started_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)

                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        started_at = _parse_started_at(d.pop("started_at"))

        def _parse_finished_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        finished_at = _parse_finished_at(d.pop("finished_at"))

        def _parse_duration_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        duration_seconds = _parse_duration_seconds(d.pop("duration_seconds"))

        def _parse_schedule_key(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        schedule_key = _parse_schedule_key(d.pop("schedule_key"))

        def _parse_scheduled_for(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                scheduled_for_type_0 = datetime.datetime.fromisoformat(data)

                return scheduled_for_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        scheduled_for = _parse_scheduled_for(d.pop("scheduled_for"))

        def _parse_parent_run_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        parent_run_id = _parse_parent_run_id(d.pop("parent_run_id"))

        def _parse_wait_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        wait_reason = _parse_wait_reason(d.pop("wait_reason"))

        cancel_requested = d.pop("cancel_requested")

        def _parse_error_type(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error_type = _parse_error_type(d.pop("error_type"))

        def _parse_error_message(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error_message = _parse_error_message(d.pop("error_message"))

        def _parse_queue_item_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        queue_item_id = _parse_queue_item_id(d.pop("queue_item_id", UNSET))

        def _parse_partition_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        partition_key = _parse_partition_key(d.pop("partition_key", UNSET))

        run_summary = cls(
            id=id,
            job_name=job_name,
            status=status,
            trigger=trigger,
            tags=tags,
            created_at=created_at,
            started_at=started_at,
            finished_at=finished_at,
            duration_seconds=duration_seconds,
            schedule_key=schedule_key,
            scheduled_for=scheduled_for,
            parent_run_id=parent_run_id,
            wait_reason=wait_reason,
            cancel_requested=cancel_requested,
            error_type=error_type,
            error_message=error_message,
            queue_item_id=queue_item_id,
            partition_key=partition_key,
        )

        return run_summary
