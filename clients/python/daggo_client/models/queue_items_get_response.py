from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.item_summary import ItemSummary
    from ..models.queue_items_get_response_metadata import QueueItemsGetResponseMetadata
    from ..models.queue_items_get_response_payload import QueueItemsGetResponsePayload
    from ..models.run_summary import RunSummary


T = TypeVar("T", bound="QueueItemsGetResponse")


@_attrs_define
class QueueItemsGetResponse:
    """An item with its payload and metadata, every run it started (oldest first; a
    queued run's `wait_reason` says why it waits), the deliveries deduplicated against
    it (`duplicates`, the newest, of `duplicate_count`) and, for a deduplicated one,
    the item it duplicates.

        Attributes:
            item (ItemSummary): One delivery to a queue: accepted (with its status rolled up from its runs) or
                DEDUPLICATED against `duplicate_of`. `attempt` counts its runs' rounds; a failed item
                with retries left has `retry_at`, one without is `dead_lettered`.
            payload (QueueItemsGetResponsePayload):
            metadata (QueueItemsGetResponseMetadata):
            runs (list[RunSummary]):
            duplicates (list[ItemSummary]):
            duplicate_count (int):
            original (ItemSummary | None):
    """

    item: ItemSummary
    payload: QueueItemsGetResponsePayload
    metadata: QueueItemsGetResponseMetadata
    runs: list[RunSummary]
    duplicates: list[ItemSummary]
    duplicate_count: int
    original: ItemSummary | None

    def to_dict(self) -> dict[str, Any]:
        from ..models.item_summary import ItemSummary  # noqa: PLC0415

        item = self.item.to_dict()

        payload = self.payload.to_dict()

        metadata = self.metadata.to_dict()

        runs = []
        for runs_item_data in self.runs:
            runs_item = runs_item_data.to_dict()
            runs.append(runs_item)

        duplicates = []
        for duplicates_item_data in self.duplicates:
            duplicates_item = duplicates_item_data.to_dict()
            duplicates.append(duplicates_item)

        duplicate_count = self.duplicate_count

        original: dict[str, Any] | None
        if isinstance(self.original, ItemSummary):
            original = self.original.to_dict()
        else:
            original = self.original

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "item": item,
                "payload": payload,
                "metadata": metadata,
                "runs": runs,
                "duplicates": duplicates,
                "duplicate_count": duplicate_count,
                "original": original,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.item_summary import ItemSummary  # noqa: PLC0415
        from ..models.queue_items_get_response_metadata import QueueItemsGetResponseMetadata  # noqa: PLC0415
        from ..models.queue_items_get_response_payload import QueueItemsGetResponsePayload  # noqa: PLC0415
        from ..models.run_summary import RunSummary  # noqa: PLC0415

        d = dict(src_dict)
        item = ItemSummary.from_dict(d.pop("item"))

        payload = QueueItemsGetResponsePayload.from_dict(d.pop("payload"))

        metadata = QueueItemsGetResponseMetadata.from_dict(d.pop("metadata"))

        runs = []
        _runs = d.pop("runs")
        for runs_item_data in _runs:
            runs_item = RunSummary.from_dict(runs_item_data)

            runs.append(runs_item)

        duplicates = []
        _duplicates = d.pop("duplicates")
        for duplicates_item_data in _duplicates:
            duplicates_item = ItemSummary.from_dict(duplicates_item_data)

            duplicates.append(duplicates_item)

        duplicate_count = d.pop("duplicate_count")

        def _parse_original(data: object) -> ItemSummary | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                original_type_0 = ItemSummary.from_dict(data)

                return original_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ItemSummary | None, data)

        original = _parse_original(d.pop("original"))

        queue_items_get_response = cls(
            item=item,
            payload=payload,
            metadata=metadata,
            runs=runs,
            duplicates=duplicates,
            duplicate_count=duplicate_count,
            original=original,
        )

        return queue_items_get_response
