from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.queue_error_info import QueueErrorInfo
    from ..models.queue_summary import QueueSummary


T = TypeVar("T", bound="QueueDetail")


@_attrs_define
class QueueDetail:
    """A queue with its policies and its recent ingestion errors, newest first.

    Attributes:
        queue (QueueSummary): A queue: its items by status, how many are dead-lettered, and its loader.
        has_partition_key (bool):
        has_item_key (bool):
        retries (int):
        retry_backoff_seconds (float):
        per_partition_limit (int | None):
        payload_fields (list[str]):
        errors (list[QueueErrorInfo]):
    """

    queue: QueueSummary
    has_partition_key: bool
    has_item_key: bool
    retries: int
    retry_backoff_seconds: float
    per_partition_limit: int | None
    payload_fields: list[str]
    errors: list[QueueErrorInfo]

    def to_dict(self) -> dict[str, Any]:
        queue = self.queue.to_dict()

        has_partition_key = self.has_partition_key

        has_item_key = self.has_item_key

        retries = self.retries

        retry_backoff_seconds = self.retry_backoff_seconds

        per_partition_limit: int | None
        per_partition_limit = self.per_partition_limit

        payload_fields = self.payload_fields

        errors = []
        for errors_item_data in self.errors:
            errors_item = errors_item_data.to_dict()
            errors.append(errors_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "queue": queue,
                "has_partition_key": has_partition_key,
                "has_item_key": has_item_key,
                "retries": retries,
                "retry_backoff_seconds": retry_backoff_seconds,
                "per_partition_limit": per_partition_limit,
                "payload_fields": payload_fields,
                "errors": errors,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.queue_error_info import QueueErrorInfo  # noqa: PLC0415
        from ..models.queue_summary import QueueSummary  # noqa: PLC0415

        d = dict(src_dict)
        queue = QueueSummary.from_dict(d.pop("queue"))

        has_partition_key = d.pop("has_partition_key")

        has_item_key = d.pop("has_item_key")

        retries = d.pop("retries")

        retry_backoff_seconds = d.pop("retry_backoff_seconds")

        def _parse_per_partition_limit(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        per_partition_limit = _parse_per_partition_limit(d.pop("per_partition_limit"))

        payload_fields = cast(list[str], d.pop("payload_fields"))

        errors = []
        _errors = d.pop("errors")
        for errors_item_data in _errors:
            errors_item = QueueErrorInfo.from_dict(errors_item_data)

            errors.append(errors_item)

        queue_detail = cls(
            queue=queue,
            has_partition_key=has_partition_key,
            has_item_key=has_item_key,
            retries=retries,
            retry_backoff_seconds=retry_backoff_seconds,
            per_partition_limit=per_partition_limit,
            payload_fields=payload_fields,
            errors=errors,
        )

        return queue_detail
