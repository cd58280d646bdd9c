from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.partition_info import PartitionInfo


T = TypeVar("T", bound="PartitionsGetManyResponse")


@_attrs_define
class PartitionsGetManyResponse:
    """
    Attributes:
        partitions (list[PartitionInfo]):
        next_cursor (None | str):
    """

    partitions: list[PartitionInfo]
    next_cursor: None | str

    def to_dict(self) -> dict[str, Any]:
        partitions = []
        for partitions_item_data in self.partitions:
            partitions_item = partitions_item_data.to_dict()
            partitions.append(partitions_item)

        next_cursor: None | str
        next_cursor = self.next_cursor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "partitions": partitions,
                "next_cursor": next_cursor,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.partition_info import PartitionInfo  # noqa: PLC0415

        d = dict(src_dict)
        partitions = []
        _partitions = d.pop("partitions")
        for partitions_item_data in _partitions:
            partitions_item = PartitionInfo.from_dict(partitions_item_data)

            partitions.append(partitions_item)

        def _parse_next_cursor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_cursor = _parse_next_cursor(d.pop("next_cursor"))

        partitions_get_many_response = cls(
            partitions=partitions,
            next_cursor=next_cursor,
        )

        return partitions_get_many_response
