from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.item_summary import ItemSummary
    from ..models.run_summary import RunSummary


T = TypeVar("T", bound="QueueItemsRetryResponse")


@_attrs_define
class QueueItemsRetryResponse:
    """The item retried, and its new runs (one per job that had not succeeded).

    Attributes:
        item (ItemSummary): One delivery to a queue: accepted (with its status rolled up from its runs) or
            DEDUPLICATED against `duplicate_of`. `attempt` counts its runs' rounds; a failed item
            with retries left has `retry_at`, one without is `dead_lettered`.
        runs (list[RunSummary]):
    """

    item: ItemSummary
    runs: list[RunSummary]

    def to_dict(self) -> dict[str, Any]:
        item = self.item.to_dict()

        runs = []
        for runs_item_data in self.runs:
            runs_item = runs_item_data.to_dict()
            runs.append(runs_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "item": item,
                "runs": runs,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.item_summary import ItemSummary  # noqa: PLC0415
        from ..models.run_summary import RunSummary  # noqa: PLC0415

        d = dict(src_dict)
        item = ItemSummary.from_dict(d.pop("item"))

        runs = []
        _runs = d.pop("runs")
        for runs_item_data in _runs:
            runs_item = RunSummary.from_dict(runs_item_data)

            runs.append(runs_item)

        queue_items_retry_response = cls(
            item=item,
            runs=runs,
        )

        return queue_items_retry_response
