from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PartitionsGetManyRequest")


@_attrs_define
class PartitionsGetManyRequest:
    """A page of a queue's partition keys, in order; `cursor` is the previous page's
    `next_cursor`.

        Attributes:
            queue (str):
            limit (int | Unset):  Default: 100.
            cursor (None | str | Unset):
    """

    queue: str
    limit: int | Unset = 100
    cursor: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        queue = self.queue

        limit = self.limit

        cursor: None | str | Unset
        if isinstance(self.cursor, Unset):
            cursor = UNSET
        else:
            cursor = self.cursor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "queue": queue,
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
        queue = d.pop("queue")

        limit = d.pop("limit", UNSET)

        def _parse_cursor(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        cursor = _parse_cursor(d.pop("cursor", UNSET))

        partitions_get_many_request = cls(
            queue=queue,
            limit=limit,
            cursor=cursor,
        )

        return partitions_get_many_request
