from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.queue_detail import QueueDetail


T = TypeVar("T", bound="QueuesGetResponse")


@_attrs_define
class QueuesGetResponse:
    """
    Attributes:
        queue (QueueDetail): A queue with its policies and its recent ingestion errors, newest first.
    """

    queue: QueueDetail

    def to_dict(self) -> dict[str, Any]:
        queue = self.queue.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "queue": queue,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.queue_detail import QueueDetail  # noqa: PLC0415

        d = dict(src_dict)
        queue = QueueDetail.from_dict(d.pop("queue"))

        queues_get_response = cls(
            queue=queue,
        )

        return queues_get_response
