from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..models.partition_status import PartitionStatus

if TYPE_CHECKING:
    from ..models.grid_cell_counts import GridCellCounts


T = TypeVar("T", bound="GridCell")


@_attrs_define
class GridCell:
    """A range of `count` partitions from index `first_index` (keys `first_key` to
    `last_key`), counted by status; `status` is the most pressing of them.

        Attributes:
            first_index (int):
            count (int):
            first_key (str):
            last_key (str):
            counts (GridCellCounts):
            status (PartitionStatus): What the partition grid shows of a partition.
    """

    first_index: int
    count: int
    first_key: str
    last_key: str
    counts: GridCellCounts
    status: PartitionStatus

    def to_dict(self) -> dict[str, Any]:
        first_index = self.first_index

        count = self.count

        first_key = self.first_key

        last_key = self.last_key

        counts = self.counts.to_dict()

        status = self.status.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "first_index": first_index,
                "count": count,
                "first_key": first_key,
                "last_key": last_key,
                "counts": counts,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.grid_cell_counts import GridCellCounts  # noqa: PLC0415

        d = dict(src_dict)
        first_index = d.pop("first_index")

        count = d.pop("count")

        first_key = d.pop("first_key")

        last_key = d.pop("last_key")

        counts = GridCellCounts.from_dict(d.pop("counts"))

        status = PartitionStatus(d.pop("status"))

        grid_cell = cls(
            first_index=first_index,
            count=count,
            first_key=first_key,
            last_key=last_key,
            counts=counts,
            status=status,
        )

        return grid_cell
