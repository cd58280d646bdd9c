from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="DynamicPartitionsGetManyResponse")


@_attrs_define
class DynamicPartitionsGetManyResponse:
    """
    Attributes:
        keys (list[str]):
        total (int):
        next_cursor (None | str):
    """

    keys: list[str]
    total: int
    next_cursor: None | str

    def to_dict(self) -> dict[str, Any]:
        keys = self.keys

        total = self.total

        next_cursor: None | str
        next_cursor = self.next_cursor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "keys": keys,
                "total": total,
                "next_cursor": next_cursor,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        keys = cast(list[str], d.pop("keys"))

        total = d.pop("total")

        def _parse_next_cursor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_cursor = _parse_next_cursor(d.pop("next_cursor"))

        dynamic_partitions_get_many_response = cls(
            keys=keys,
            total=total,
            next_cursor=next_cursor,
        )

        return dynamic_partitions_get_many_response
