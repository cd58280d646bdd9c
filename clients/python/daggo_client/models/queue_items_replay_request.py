from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.queue_item_status import QueueItemStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="QueueItemsReplayRequest")


@_attrs_define
class QueueItemsReplayRequest:
    """Retry, in bulk, the finished items of `queue` that did not succeed (FAILED and
    PARTIALLY_FAILED unless `statuses` says), optionally only dead-lettered ones, of one
    partition key, created in [created_after, created_before); at most `limit`.

        Attributes:
            queue (str):
            statuses (list[QueueItemStatus] | Unset):
            dead_lettered (bool | None | Unset):
            partition_key (None | str | Unset):
            created_after (datetime.datetime | None | Unset):
            created_before (datetime.datetime | None | Unset):
            limit (int | Unset):  Default: 1000.
    """

    queue: str
    statuses: list[QueueItemStatus] | Unset = UNSET
    dead_lettered: bool | None | Unset = UNSET
    partition_key: None | str | Unset = UNSET
    created_after: datetime.datetime | None | Unset = UNSET
    created_before: datetime.datetime | None | Unset = UNSET
    limit: int | Unset = 1000

    def to_dict(self) -> dict[str, Any]:
        queue = self.queue

        statuses: list[str] | Unset = UNSET
        if not isinstance(self.statuses, Unset):
            statuses = []
            for statuses_item_data in self.statuses:
                statuses_item = statuses_item_data.value
                statuses.append(statuses_item)

        dead_lettered: bool | None | Unset
        if isinstance(self.dead_lettered, Unset):
            dead_lettered = UNSET
        else:
            dead_lettered = self.dead_lettered

        partition_key: None | str | Unset
        if isinstance(self.partition_key, Unset):
            partition_key = UNSET
        else:
            partition_key = self.partition_key

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

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "queue": queue,
            }
        )
        if statuses is not UNSET:
            field_dict["statuses"] = statuses
        if dead_lettered is not UNSET:
            field_dict["dead_lettered"] = dead_lettered
        if partition_key is not UNSET:
            field_dict["partition_key"] = partition_key
        if created_after is not UNSET:
            field_dict["created_after"] = created_after
        if created_before is not UNSET:
            field_dict["created_before"] = created_before
        if limit is not UNSET:
            field_dict["limit"] = limit

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        queue = d.pop("queue")

        _statuses = d.pop("statuses", UNSET)
        statuses: list[QueueItemStatus] | Unset = UNSET
        if _statuses is not UNSET:
            statuses = []
            for statuses_item_data in _statuses:
                statuses_item = QueueItemStatus(statuses_item_data)

                statuses.append(statuses_item)

        def _parse_dead_lettered(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        dead_lettered = _parse_dead_lettered(d.pop("dead_lettered", UNSET))

        def _parse_partition_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        partition_key = _parse_partition_key(d.pop("partition_key", UNSET))

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

        queue_items_replay_request = cls(
            queue=queue,
            statuses=statuses,
            dead_lettered=dead_lettered,
            partition_key=partition_key,
            created_after=created_after,
            created_before=created_before,
            limit=limit,
        )

        return queue_items_replay_request
