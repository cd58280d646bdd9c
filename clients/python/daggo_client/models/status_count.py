from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.run_status import RunStatus

T = TypeVar("T", bound="StatusCount")


@_attrs_define
class StatusCount:
    """
    Attributes:
        status (RunStatus): Enum where members are also (and must be) strings
        count (int):
    """

    status: RunStatus
    count: int

    def to_dict(self) -> dict[str, Any]:
        status = self.status.value

        count = self.count

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "status": status,
                "count": count,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        status = RunStatus(d.pop("status"))

        count = d.pop("count")

        status_count = cls(
            status=status,
            count=count,
        )

        return status_count
