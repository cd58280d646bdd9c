from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.worker_summary import WorkerSummary


T = TypeVar("T", bound="WorkersGetManyResponse")


@_attrs_define
class WorkersGetManyResponse:
    """A page of workers; `next_cursor` is None on the last page; `lost_after_seconds` is
    the heartbeat timeout past which a silent worker is LOST.

        Attributes:
            workers (list[WorkerSummary]):
            next_cursor (None | str):
            lost_after_seconds (float):
    """

    workers: list[WorkerSummary]
    next_cursor: None | str
    lost_after_seconds: float

    def to_dict(self) -> dict[str, Any]:
        workers = []
        for workers_item_data in self.workers:
            workers_item = workers_item_data.to_dict()
            workers.append(workers_item)

        next_cursor: None | str
        next_cursor = self.next_cursor

        lost_after_seconds = self.lost_after_seconds

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "workers": workers,
                "next_cursor": next_cursor,
                "lost_after_seconds": lost_after_seconds,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.worker_summary import WorkerSummary  # noqa: PLC0415

        d = dict(src_dict)
        workers = []
        _workers = d.pop("workers")
        for workers_item_data in _workers:
            workers_item = WorkerSummary.from_dict(workers_item_data)

            workers.append(workers_item)

        def _parse_next_cursor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_cursor = _parse_next_cursor(d.pop("next_cursor"))

        lost_after_seconds = d.pop("lost_after_seconds")

        workers_get_many_response = cls(
            workers=workers,
            next_cursor=next_cursor,
            lost_after_seconds=lost_after_seconds,
        )

        return workers_get_many_response
