from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="BackfillsGetPartitionsRequest")


@_attrs_define
class BackfillsGetPartitionsRequest:
    """The planned runs of a backfill, in order, with their progress.

    Attributes:
        id (str):
        limit (int | Unset):  Default: 100.
        cursor (None | str | Unset):
    """

    id: str
    limit: int | Unset = 100
    cursor: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        limit = self.limit

        cursor: None | str | Unset
        if isinstance(self.cursor, Unset):
            cursor = UNSET
        else:
            cursor = self.cursor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
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
        id = d.pop("id")

        limit = d.pop("limit", UNSET)

        def _parse_cursor(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        cursor = _parse_cursor(d.pop("cursor", UNSET))

        backfills_get_partitions_request = cls(
            id=id,
            limit=limit,
            cursor=cursor,
        )

        return backfills_get_partitions_request
