from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="DynamicPartitionsGetManyRequest")


@_attrs_define
class DynamicPartitionsGetManyRequest:
    """The keys of the set `name`, in the order they were added.

    Attributes:
        name (str):
        limit (int | Unset):  Default: 500.
        cursor (None | str | Unset):
    """

    name: str
    limit: int | Unset = 500
    cursor: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        limit = self.limit

        cursor: None | str | Unset
        if isinstance(self.cursor, Unset):
            cursor = UNSET
        else:
            cursor = self.cursor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
            }
        )
        if limit is not UNSET:
            field_dict["limit"] = limit
        if cursor is not UNSET:
            field_dict["cursor"] = cursor

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        limit = d.pop("limit", UNSET)

        def _parse_cursor(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        cursor = _parse_cursor(d.pop("cursor", UNSET))

        dynamic_partitions_get_many_request = cls(
            name=name,
            limit=limit,
            cursor=cursor,
        )

        return dynamic_partitions_get_many_request
