from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="QueuesGetRequest")


@_attrs_define
class QueuesGetRequest:
    """
    Attributes:
        queue (str):
    """

    queue: str

    def to_dict(self) -> dict[str, Any]:
        queue = self.queue

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "queue": queue,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        queue = d.pop("queue")

        queues_get_request = cls(
            queue=queue,
        )

        return queues_get_request
