from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.tick_info import TickInfo


T = TypeVar("T", bound="SchedulesTicksResponse")


@_attrs_define
class SchedulesTicksResponse:
    """
    Attributes:
        ticks (list[TickInfo]):
        next_cursor (None | str):
    """

    ticks: list[TickInfo]
    next_cursor: None | str

    def to_dict(self) -> dict[str, Any]:
        ticks = []
        for ticks_item_data in self.ticks:
            ticks_item = ticks_item_data.to_dict()
            ticks.append(ticks_item)

        next_cursor: None | str
        next_cursor = self.next_cursor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "ticks": ticks,
                "next_cursor": next_cursor,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tick_info import TickInfo  # noqa: PLC0415

        d = dict(src_dict)
        ticks = []
        _ticks = d.pop("ticks")
        for ticks_item_data in _ticks:
            ticks_item = TickInfo.from_dict(ticks_item_data)

            ticks.append(ticks_item)

        def _parse_next_cursor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_cursor = _parse_next_cursor(d.pop("next_cursor"))

        schedules_ticks_response = cls(
            ticks=ticks,
            next_cursor=next_cursor,
        )

        return schedules_ticks_response
