from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="QueueItemsGetRequest")


@_attrs_define
class QueueItemsGetRequest:
    """An item by id, or by a unique prefix of its id.

    Attributes:
        item_id (str):
    """

    item_id: str

    def to_dict(self) -> dict[str, Any]:
        item_id = self.item_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "item_id": item_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        item_id = d.pop("item_id")

        queue_items_get_request = cls(
            item_id=item_id,
        )

        return queue_items_get_request
