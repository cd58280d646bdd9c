from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.run_status import RunStatus

T = TypeVar("T", bound="JobStatusCount")


@_attrs_define
class JobStatusCount:
    """
    Attributes:
        job (str):
        status (RunStatus): Enum where members are also (and must be) strings
        count (int):
    """

    job: str
    status: RunStatus
    count: int

    def to_dict(self) -> dict[str, Any]:
        job = self.job

        status = self.status.value

        count = self.count

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "job": job,
                "status": status,
                "count": count,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        job = d.pop("job")

        status = RunStatus(d.pop("status"))

        count = d.pop("count")

        job_status_count = cls(
            job=job,
            status=status,
            count=count,
        )

        return job_status_count
