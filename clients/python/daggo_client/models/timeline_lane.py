from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.timeline_bar import TimelineBar


T = TypeVar("T", bound="TimelineLane")


@_attrs_define
class TimelineLane:
    """
    Attributes:
        job (str):
        bars (list[TimelineBar]):
        runs (int):
    """

    job: str
    bars: list[TimelineBar]
    runs: int

    def to_dict(self) -> dict[str, Any]:
        job = self.job

        bars = []
        for bars_item_data in self.bars:
            bars_item = bars_item_data.to_dict()
            bars.append(bars_item)

        runs = self.runs

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "job": job,
                "bars": bars,
                "runs": runs,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.timeline_bar import TimelineBar  # noqa: PLC0415

        d = dict(src_dict)
        job = d.pop("job")

        bars = []
        _bars = d.pop("bars")
        for bars_item_data in _bars:
            bars_item = TimelineBar.from_dict(bars_item_data)

            bars.append(bars_item)

        runs = d.pop("runs")

        timeline_lane = cls(
            job=job,
            bars=bars,
            runs=runs,
        )

        return timeline_lane
