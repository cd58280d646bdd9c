from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.run_status import RunStatus
from ..models.run_trigger import RunTrigger
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.runs_count_by_status_request_tags import RunsCountByStatusRequestTags


T = TypeVar("T", bound="RunsCountByStatusRequest")


@_attrs_define
class RunsCountByStatusRequest:
    """How many runs match the conditions, by job and status.

    Attributes:
        job (None | str | Unset):
        statuses (list[RunStatus] | Unset):
        triggers (list[RunTrigger] | Unset):
        tags (RunsCountByStatusRequestTags | Unset):
        created_after (datetime.datetime | None | Unset):
        created_before (datetime.datetime | None | Unset):
    """

    job: None | str | Unset = UNSET
    statuses: list[RunStatus] | Unset = UNSET
    triggers: list[RunTrigger] | Unset = UNSET
    tags: RunsCountByStatusRequestTags | Unset = UNSET
    created_after: datetime.datetime | None | Unset = UNSET
    created_before: datetime.datetime | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        job: None | str | Unset
        if isinstance(self.job, Unset):
            job = UNSET
        else:
            job = self.job

        statuses: list[str] | Unset = UNSET
        if not isinstance(self.statuses, Unset):
            statuses = []
            for statuses_item_data in self.statuses:
                statuses_item = statuses_item_data.value
                statuses.append(statuses_item)

        triggers: list[str] | Unset = UNSET
        if not isinstance(self.triggers, Unset):
            triggers = []
            for triggers_item_data in self.triggers:
                triggers_item = triggers_item_data.value
                triggers.append(triggers_item)

        tags: dict[str, Any] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags.to_dict()

        created_after: None | str | Unset
        if isinstance(self.created_after, Unset):
            created_after = UNSET
        elif isinstance(self.created_after, datetime.datetime):
            created_after = self.created_after.isoformat()
        else:
            created_after = self.created_after

        created_before: None | str | Unset
        if isinstance(self.created_before, Unset):
            created_before = UNSET
        elif isinstance(self.created_before, datetime.datetime):
            created_before = self.created_before.isoformat()
        else:
            created_before = self.created_before

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if job is not UNSET:
            field_dict["job"] = job
        if statuses is not UNSET:
            field_dict["statuses"] = statuses
        if triggers is not UNSET:
            field_dict["triggers"] = triggers
        if tags is not UNSET:
            field_dict["tags"] = tags
        if created_after is not UNSET:
            field_dict["created_after"] = created_after
        if created_before is not UNSET:
            field_dict["created_before"] = created_before

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.runs_count_by_status_request_tags import RunsCountByStatusRequestTags  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_job(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        job = _parse_job(d.pop("job", UNSET))

        _statuses = d.pop("statuses", UNSET)
        statuses: list[RunStatus] | Unset = UNSET
        if _statuses is not UNSET:
            statuses = []
            for statuses_item_data in _statuses:
                statuses_item = RunStatus(statuses_item_data)

                statuses.append(statuses_item)

        _triggers = d.pop("triggers", UNSET)
        triggers: list[RunTrigger] | Unset = UNSET
        if _triggers is not UNSET:
            triggers = []
            for triggers_item_data in _triggers:
                triggers_item = RunTrigger(triggers_item_data)

                triggers.append(triggers_item)

        _tags = d.pop("tags", UNSET)
        tags: RunsCountByStatusRequestTags | Unset
        if isinstance(_tags, Unset):
            tags = UNSET
        else:
            tags = RunsCountByStatusRequestTags.from_dict(_tags)

        def _parse_created_after(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                created_after_type_0 = datetime.datetime.fromisoformat(data)

                return created_after_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        created_after = _parse_created_after(d.pop("created_after", UNSET))

        def _parse_created_before(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                created_before_type_0 = datetime.datetime.fromisoformat(data)

                return created_before_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        created_before = _parse_created_before(d.pop("created_before", UNSET))

        runs_count_by_status_request = cls(
            job=job,
            statuses=statuses,
            triggers=triggers,
            tags=tags,
            created_after=created_after,
            created_before=created_before,
        )

        return runs_count_by_status_request
