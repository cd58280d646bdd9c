from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.job_status_count import JobStatusCount


T = TypeVar("T", bound="RunsCountByStatusResponse")


@_attrs_define
class RunsCountByStatusResponse:
    """The counts by job, then status; a job and status with no run is left out.

    Attributes:
        counts (list[JobStatusCount]):
    """

    counts: list[JobStatusCount]

    def to_dict(self) -> dict[str, Any]:
        counts = []
        for counts_item_data in self.counts:
            counts_item = counts_item_data.to_dict()
            counts.append(counts_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "counts": counts,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.job_status_count import JobStatusCount  # noqa: PLC0415

        d = dict(src_dict)
        counts = []
        _counts = d.pop("counts")
        for counts_item_data in _counts:
            counts_item = JobStatusCount.from_dict(counts_item_data)

            counts.append(counts_item)

        runs_count_by_status_response = cls(
            counts=counts,
        )

        return runs_count_by_status_response
