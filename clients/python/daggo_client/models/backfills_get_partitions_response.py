from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.backfill_run_info import BackfillRunInfo


T = TypeVar("T", bound="BackfillsGetPartitionsResponse")


@_attrs_define
class BackfillsGetPartitionsResponse:
    """
    Attributes:
        runs (list[BackfillRunInfo]):
        next_cursor (None | str):
    """

    runs: list[BackfillRunInfo]
    next_cursor: None | str

    def to_dict(self) -> dict[str, Any]:
        runs = []
        for runs_item_data in self.runs:
            runs_item = runs_item_data.to_dict()
            runs.append(runs_item)

        next_cursor: None | str
        next_cursor = self.next_cursor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "runs": runs,
                "next_cursor": next_cursor,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.backfill_run_info import BackfillRunInfo  # noqa: PLC0415

        d = dict(src_dict)
        runs = []
        _runs = d.pop("runs")
        for runs_item_data in _runs:
            runs_item = BackfillRunInfo.from_dict(runs_item_data)

            runs.append(runs_item)

        def _parse_next_cursor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_cursor = _parse_next_cursor(d.pop("next_cursor"))

        backfills_get_partitions_response = cls(
            runs=runs,
            next_cursor=next_cursor,
        )

        return backfills_get_partitions_response
