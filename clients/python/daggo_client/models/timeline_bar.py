from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.run_status import RunStatus

if TYPE_CHECKING:
    from ..models.status_count import StatusCount


T = TypeVar("T", bound="TimelineBar")


@_attrs_define
class TimelineBar:
    """One bar: a run from its start (its creation while it waits) to its end (now while
    it goes), or `runs` runs merged; `run_id` is set for a bar of one run, `status` is
    the one that matters most among its runs, `counts` are theirs. Its runs were created
    from `created_after` on and before `created_before`: `Runs.GetMany` of the job with
    those lists them.

        Attributes:
            start (datetime.datetime):
            end (datetime.datetime):
            status (RunStatus): Enum where members are also (and must be) strings
            runs (int):
            run_id (None | str):
            counts (list[StatusCount]):
            created_after (datetime.datetime):
            created_before (datetime.datetime):
    """

    start: datetime.datetime
    end: datetime.datetime
    status: RunStatus
    runs: int
    run_id: None | str
    counts: list[StatusCount]
    created_after: datetime.datetime
    created_before: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        start = self.start.isoformat()

        end = self.end.isoformat()

        status = self.status.value

        runs = self.runs

        run_id: None | str
        run_id = self.run_id

        counts = []
        for counts_item_data in self.counts:
            counts_item = counts_item_data.to_dict()
            counts.append(counts_item)

        created_after = self.created_after.isoformat()

        created_before = self.created_before.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "start": start,
                "end": end,
                "status": status,
                "runs": runs,
                "run_id": run_id,
                "counts": counts,
                "created_after": created_after,
                "created_before": created_before,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.status_count import StatusCount  # noqa: PLC0415

        d = dict(src_dict)
        start = datetime.datetime.fromisoformat(d.pop("start"))

        end = datetime.datetime.fromisoformat(d.pop("end"))

        status = RunStatus(d.pop("status"))

        runs = d.pop("runs")

        def _parse_run_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        run_id = _parse_run_id(d.pop("run_id"))

        counts = []
        _counts = d.pop("counts")
        for counts_item_data in _counts:
            counts_item = StatusCount.from_dict(counts_item_data)

            counts.append(counts_item)

        created_after = datetime.datetime.fromisoformat(d.pop("created_after"))

        created_before = datetime.datetime.fromisoformat(d.pop("created_before"))

        timeline_bar = cls(
            start=start,
            end=end,
            status=status,
            runs=runs,
            run_id=run_id,
            counts=counts,
            created_after=created_after,
            created_before=created_before,
        )

        return timeline_bar
