from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.status_count import StatusCount
    from ..models.timeline_lane import TimelineLane


T = TypeVar("T", bound="RunsTimelineResponse")


@_attrs_define
class RunsTimelineResponse:
    """The window, its lanes by job name (only jobs with runs in it) and its runs by
    status.

        Attributes:
            start (datetime.datetime):
            end (datetime.datetime):
            lanes (list[TimelineLane]):
            counts (list[StatusCount]):
    """

    start: datetime.datetime
    end: datetime.datetime
    lanes: list[TimelineLane]
    counts: list[StatusCount]

    def to_dict(self) -> dict[str, Any]:
        start = self.start.isoformat()

        end = self.end.isoformat()

        lanes = []
        for lanes_item_data in self.lanes:
            lanes_item = lanes_item_data.to_dict()
            lanes.append(lanes_item)

        counts = []
        for counts_item_data in self.counts:
            counts_item = counts_item_data.to_dict()
            counts.append(counts_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "start": start,
                "end": end,
                "lanes": lanes,
                "counts": counts,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.status_count import StatusCount  # noqa: PLC0415
        from ..models.timeline_lane import TimelineLane  # noqa: PLC0415

        d = dict(src_dict)
        start = datetime.datetime.fromisoformat(d.pop("start"))

        end = datetime.datetime.fromisoformat(d.pop("end"))

        lanes = []
        _lanes = d.pop("lanes")
        for lanes_item_data in _lanes:
            lanes_item = TimelineLane.from_dict(lanes_item_data)

            lanes.append(lanes_item)

        counts = []
        _counts = d.pop("counts")
        for counts_item_data in _counts:
            counts_item = StatusCount.from_dict(counts_item_data)

            counts.append(counts_item)

        runs_timeline_response = cls(
            start=start,
            end=end,
            lanes=lanes,
            counts=counts,
        )

        return runs_timeline_response
