from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.item_source import ItemSource

T = TypeVar("T", bound="QueueErrorInfo")


@_attrs_define
class QueueErrorInfo:
    """A problem ingesting into the queue (a bad item, a loader that raised).

    Attributes:
        source (ItemSource): How an item reached its queue.
        message (str):
        detail (str):
        created_at (datetime.datetime):
    """

    source: ItemSource
    message: str
    detail: str
    created_at: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        source = self.source.value

        message = self.message

        detail = self.detail

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "source": source,
                "message": message,
                "detail": detail,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        source = ItemSource(d.pop("source"))

        message = d.pop("message")

        detail = d.pop("detail")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        queue_error_info = cls(
            source=source,
            message=message,
            detail=detail,
            created_at=created_at,
        )

        return queue_error_info
