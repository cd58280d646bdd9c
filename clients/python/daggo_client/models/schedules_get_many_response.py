from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.schedule_summary import ScheduleSummary


T = TypeVar("T", bound="SchedulesGetManyResponse")


@_attrs_define
class SchedulesGetManyResponse:
    """A page of schedules; `next_cursor` is None on the last page.

    Attributes:
        schedules (list[ScheduleSummary]):
        next_cursor (None | str):
    """

    schedules: list[ScheduleSummary]
    next_cursor: None | str

    def to_dict(self) -> dict[str, Any]:
        schedules = []
        for schedules_item_data in self.schedules:
            schedules_item = schedules_item_data.to_dict()
            schedules.append(schedules_item)

        next_cursor: None | str
        next_cursor = self.next_cursor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "schedules": schedules,
                "next_cursor": next_cursor,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.schedule_summary import ScheduleSummary  # noqa: PLC0415

        d = dict(src_dict)
        schedules = []
        _schedules = d.pop("schedules")
        for schedules_item_data in _schedules:
            schedules_item = ScheduleSummary.from_dict(schedules_item_data)

            schedules.append(schedules_item)

        def _parse_next_cursor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_cursor = _parse_next_cursor(d.pop("next_cursor"))

        schedules_get_many_response = cls(
            schedules=schedules,
            next_cursor=next_cursor,
        )

        return schedules_get_many_response
