from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.item_source import ItemSource
from ..models.queue_item_status import QueueItemStatus

T = TypeVar("T", bound="ItemSummary")


@_attrs_define
class ItemSummary:
    """One delivery to a queue: accepted (with its status rolled up from its runs) or
    DEDUPLICATED against `duplicate_of`. `attempt` counts its runs' rounds; a failed item
    with retries left has `retry_at`, one without is `dead_lettered`.

        Attributes:
            id (str):
            queue_name (str):
            item_key (str):
            partition_key (None | str):
            status (QueueItemStatus): Where a queue item is, rolled up from the latest run of each of its jobs (see
                `daggo_core.storage.item_rollup`), or DEDUPLICATED: a delivery of an item already
                accepted, which started nothing.
            source (ItemSource): How an item reached its queue.
            duplicate_of (None | str):
            dead_lettered (bool):
            attempt (int):
            max_retries (int):
            retry_at (datetime.datetime | None):
            created_at (datetime.datetime):
            updated_at (datetime.datetime):
            finished_at (datetime.datetime | None):
    """

    id: str
    queue_name: str
    item_key: str
    partition_key: None | str
    status: QueueItemStatus
    source: ItemSource
    duplicate_of: None | str
    dead_lettered: bool
    attempt: int
    max_retries: int
    retry_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    finished_at: datetime.datetime | None

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        queue_name = self.queue_name

        item_key = self.item_key

        partition_key: None | str
        partition_key = self.partition_key

        status = self.status.value

        source = self.source.value

        duplicate_of: None | str
        duplicate_of = self.duplicate_of

        dead_lettered = self.dead_lettered

        attempt = self.attempt

        max_retries = self.max_retries

        retry_at: None | str
        if isinstance(self.retry_at, datetime.datetime):
            retry_at = self.retry_at.isoformat()
        else:
            retry_at = self.retry_at

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        finished_at: None | str
        if isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "queue_name": queue_name,
                "item_key": item_key,
                "partition_key": partition_key,
                "status": status,
                "source": source,
                "duplicate_of": duplicate_of,
                "dead_lettered": dead_lettered,
                "attempt": attempt,
                "max_retries": max_retries,
                "retry_at": retry_at,
                "created_at": created_at,
                "updated_at": updated_at,
                "finished_at": finished_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        queue_name = d.pop("queue_name")

        item_key = d.pop("item_key")

        def _parse_partition_key(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        partition_key = _parse_partition_key(d.pop("partition_key"))

        status = QueueItemStatus(d.pop("status"))

        source = ItemSource(d.pop("source"))

        def _parse_duplicate_of(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        duplicate_of = _parse_duplicate_of(d.pop("duplicate_of"))

        dead_lettered = d.pop("dead_lettered")

        attempt = d.pop("attempt")

        max_retries = d.pop("max_retries")

        def _parse_retry_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                retry_at_type_0 = datetime.datetime.fromisoformat(data)

                return retry_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        retry_at = _parse_retry_at(d.pop("retry_at"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_finished_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        finished_at = _parse_finished_at(d.pop("finished_at"))

        item_summary = cls(
            id=id,
            queue_name=queue_name,
            item_key=item_key,
            partition_key=partition_key,
            status=status,
            source=source,
            duplicate_of=duplicate_of,
            dead_lettered=dead_lettered,
            attempt=attempt,
            max_retries=max_retries,
            retry_at=retry_at,
            created_at=created_at,
            updated_at=updated_at,
            finished_at=finished_at,
        )

        return item_summary
