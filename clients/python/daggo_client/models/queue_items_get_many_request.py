from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.queue_item_status import QueueItemStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="QueueItemsGetManyRequest")


@_attrs_define
class QueueItemsGetManyRequest:
    """A page of items, newest first, optionally one queue's, of some statuses, one
    partition key, dead-lettered (or not) and created in [created_after, created_before);
    `cursor` is the previous page's `next_cursor`.

        Attributes:
            queue (None | str | Unset):
            statuses (list[QueueItemStatus] | Unset):
            partition_key (None | str | Unset):
            dead_lettered (bool | None | Unset):
            created_after (datetime.datetime | None | Unset):
            created_before (datetime.datetime | None | Unset):
            limit (int | Unset):  Default: 50.
            cursor (None | str | Unset):
    """

    queue: None | str | Unset = UNSET
    statuses: list[QueueItemStatus] | Unset = UNSET
    partition_key: None | str | Unset = UNSET
    dead_lettered: bool | None | Unset = UNSET
    created_after: datetime.datetime | None | Unset = UNSET
    created_before: datetime.datetime | None | Unset = UNSET
    limit: int | Unset = 50
    cursor: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        queue: None | str | Unset
        if isinstance(self.queue, Unset):
            queue = UNSET
        else:
            queue = self.queue

        statuses: list[str] | Unset = UNSET
        if not isinstance(self.statuses, Unset):
            statuses = []
            for statuses_item_data in self.statuses:
                statuses_item = statuses_item_data.value
                statuses.append(statuses_item)

        partition_key: None | str | Unset
        if isinstance(self.partition_key, Unset):
            partition_key = UNSET
        else:
            partition_key = self.partition_key

        dead_lettered: bool | None | Unset
        if isinstance(self.dead_lettered, Unset):
            dead_lettered = UNSET
        else:
            dead_lettered = self.dead_lettered

        created_after: None | str | Unset
        if isinstance(self.created_after, Unset):
            created_after = UNSET
        elif isinstance(self.created_after, datetime.datetime):
            created_after = self.created_after.isoformat()
        else:
            created_after = self.created_after

        created_before: None | str | Unset
        if isinstance(self.created_before, Unset):
            created_before = UNSET
        elif isinstance(self.created_before, datetime.datetime):
            created_before = self.created_before.isoformat()
        else:
            created_before = self.created_before

        limit = self.limit

        cursor: None | str | Unset
        if isinstance(self.cursor, Unset):
            cursor = UNSET
        else:
            cursor = self.cursor

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if queue is not UNSET:
            field_dict["queue"] = queue
        if statuses is not UNSET:
            field_dict["statuses"] = statuses
        if partition_key is not UNSET:
            field_dict["partition_key"] = partition_key
        if dead_lettered is not UNSET:
            field_dict["dead_lettered"] = dead_lettered
        if created_after is not UNSET:
            field_dict["created_after"] = created_after
        if created_before is not UNSET:
            field_dict["created_before"] = created_before
        if limit is not UNSET:
            field_dict["limit"] = limit
        if cursor is not UNSET:
            field_dict["cursor"] = cursor

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_queue(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        queue = _parse_queue(d.pop("queue", UNSET))

        _statuses = d.pop("statuses", UNSET)
        statuses: list[QueueItemStatus] | Unset = UNSET
        if _statuses is not UNSET:
            statuses = []
            for statuses_item_data in _statuses:
                statuses_item = QueueItemStatus(statuses_item_data)

                statuses.append(statuses_item)

        def _parse_partition_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        partition_key = _parse_partition_key(d.pop("partition_key", UNSET))

        def _parse_dead_lettered(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        dead_lettered = _parse_dead_lettered(d.pop("dead_lettered", UNSET))

        def _parse_created_after(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                created_after_type_0 = datetime.datetime.fromisoformat(data)

                return created_after_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        created_after = _parse_created_after(d.pop("created_after", UNSET))

        def _parse_created_before(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                created_before_type_0 = datetime.datetime.fromisoformat(data)

                return created_before_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        created_before = _parse_created_before(d.pop("created_before", UNSET))

        limit = d.pop("limit", UNSET)

        def _parse_cursor(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        cursor = _parse_cursor(d.pop("cursor", UNSET))

        queue_items_get_many_request = cls(
            queue=queue,
            statuses=statuses,
            partition_key=partition_key,
            dead_lettered=dead_lettered,
            created_after=created_after,
            created_before=created_before,
            limit=limit,
            cursor=cursor,
        )

        return queue_items_get_many_request
