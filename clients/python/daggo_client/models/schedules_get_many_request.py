from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="SchedulesGetManyRequest")


@_attrs_define
class SchedulesGetManyRequest:
    """The schedules of the active jobs, or of `job`.

    Attributes:
        job (None | str | Unset):
    """

    job: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        job: None | str | Unset
        if isinstance(self.job, Unset):
            job = UNSET
        else:
            job = self.job

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if job is not UNSET:
            field_dict["job"] = job

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_job(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        job = _parse_job(d.pop("job", UNSET))

        schedules_get_many_request = cls(
            job=job,
        )

        return schedules_get_many_request
