from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.queues_push_request_items_item import QueuesPushRequestItemsItem


T = TypeVar("T", bound="QueuesPushRequest")


@_attrs_define
class QueuesPushRequest:
    """Items to deliver to `queue`: payloads, JSON objects of its payload class (callers in
    the process may give payload instances and QueueItemIn too); `key`, for one item, is
    its item key (else the queue's item key function's, if any).

        Attributes:
            queue (str):
            items (list[QueuesPushRequestItemsItem]):
            key (None | str | Unset):
    """

    queue: str
    items: list[QueuesPushRequestItemsItem]
    key: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        queue = self.queue

        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        key: None | str | Unset
        if isinstance(self.key, Unset):
            key = UNSET
        else:
            key = self.key

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "queue": queue,
                "items": items,
            }
        )
        if key is not UNSET:
            field_dict["key"] = key

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.queues_push_request_items_item import QueuesPushRequestItemsItem  # noqa: PLC0415

        d = dict(src_dict)
        queue = d.pop("queue")

        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = QueuesPushRequestItemsItem.from_dict(items_item_data)

            items.append(items_item)

        def _parse_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        key = _parse_key(d.pop("key", UNSET))

        queues_push_request = cls(
            queue=queue,
            items=items,
            key=key,
        )

        return queues_push_request
