from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.backfill_info import BackfillInfo


T = TypeVar("T", bound="BackfillsGetManyResponse")


@_attrs_define
class BackfillsGetManyResponse:
    """
    Attributes:
        backfills (list[BackfillInfo]):
        next_cursor (None | str):
    """

    backfills: list[BackfillInfo]
    next_cursor: None | str

    def to_dict(self) -> dict[str, Any]:
        backfills = []
        for backfills_item_data in self.backfills:
            backfills_item = backfills_item_data.to_dict()
            backfills.append(backfills_item)

        next_cursor: None | str
        next_cursor = self.next_cursor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "backfills": backfills,
                "next_cursor": next_cursor,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.backfill_info import BackfillInfo  # noqa: PLC0415

        d = dict(src_dict)
        backfills = []
        _backfills = d.pop("backfills")
        for backfills_item_data in _backfills:
            backfills_item = BackfillInfo.from_dict(backfills_item_data)

            backfills.append(backfills_item)

        def _parse_next_cursor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_cursor = _parse_next_cursor(d.pop("next_cursor"))

        backfills_get_many_response = cls(
            backfills=backfills,
            next_cursor=next_cursor,
        )

        return backfills_get_many_response
