from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.queue_summary import QueueSummary


T = TypeVar("T", bound="QueuesGetManyResponse")


@_attrs_define
class QueuesGetManyResponse:
    """
    Attributes:
        queues (list[QueueSummary]):
    """

    queues: list[QueueSummary]

    def to_dict(self) -> dict[str, Any]:
        queues = []
        for queues_item_data in self.queues:
            queues_item = queues_item_data.to_dict()
            queues.append(queues_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "queues": queues,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.queue_summary import QueueSummary  # noqa: PLC0415

        d = dict(src_dict)
        queues = []
        _queues = d.pop("queues")
        for queues_item_data in _queues:
            queues_item = QueueSummary.from_dict(queues_item_data)

            queues.append(queues_item)

        queues_get_many_response = cls(
            queues=queues,
        )

        return queues_get_many_response
