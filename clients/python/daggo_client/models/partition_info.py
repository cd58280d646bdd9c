from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..models.queue_item_status import QueueItemStatus

if TYPE_CHECKING:
    from ..models.partition_info_counts import PartitionInfoCounts


T = TypeVar("T", bound="PartitionInfo")


@_attrs_define
class PartitionInfo:
    """A partition key: its items by status (and how many are dead-lettered), and its
    latest item.

        Attributes:
            partition_key (str):
            items (int):
            counts (PartitionInfoCounts):
            dead_lettered (int):
            latest_item_id (str):
            latest_status (QueueItemStatus): Where a queue item is, rolled up from the latest run of each of its jobs (see
                `daggo_core.storage.item_rollup`), or DEDUPLICATED: a delivery of an item already
                accepted, which started nothing.
            latest_at (datetime.datetime):
    """

    partition_key: str
    items: int
    counts: PartitionInfoCounts
    dead_lettered: int
    latest_item_id: str
    latest_status: QueueItemStatus
    latest_at: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        partition_key = self.partition_key

        items = self.items

        counts = self.counts.to_dict()

        dead_lettered = self.dead_lettered

        latest_item_id = self.latest_item_id

        latest_status = self.latest_status.value

        latest_at = self.latest_at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "partition_key": partition_key,
                "items": items,
                "counts": counts,
                "dead_lettered": dead_lettered,
                "latest_item_id": latest_item_id,
                "latest_status": latest_status,
                "latest_at": latest_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.partition_info_counts import PartitionInfoCounts  # noqa: PLC0415

        d = dict(src_dict)
        partition_key = d.pop("partition_key")

        items = d.pop("items")

        counts = PartitionInfoCounts.from_dict(d.pop("counts"))

        dead_lettered = d.pop("dead_lettered")

        latest_item_id = d.pop("latest_item_id")

        latest_status = QueueItemStatus(d.pop("latest_status"))

        latest_at = datetime.datetime.fromisoformat(d.pop("latest_at"))

        partition_info = cls(
            partition_key=partition_key,
            items=items,
            counts=counts,
            dead_lettered=dead_lettered,
            latest_item_id=latest_item_id,
            latest_status=latest_status,
            latest_at=latest_at,
        )

        return partition_info
