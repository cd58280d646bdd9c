from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.assets_get_partitions_response_counts import AssetsGetPartitionsResponseCounts
    from ..models.grid_cell import GridCell


T = TypeVar("T", bound="AssetsGetPartitionsResponse")


@_attrs_define
class AssetsGetPartitionsResponse:
    """The grid: `total` partitions, counted by status, and the cells of the asked span.

    Attributes:
        key (str):
        total (int):
        counts (AssetsGetPartitionsResponseCounts):
        start (int):
        stop (int):
        cells (list[GridCell]):
    """

    key: str
    total: int
    counts: AssetsGetPartitionsResponseCounts
    start: int
    stop: int
    cells: list[GridCell]

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        total = self.total

        counts = self.counts.to_dict()

        start = self.start

        stop = self.stop

        cells = []
        for cells_item_data in self.cells:
            cells_item = cells_item_data.to_dict()
            cells.append(cells_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "key": key,
                "total": total,
                "counts": counts,
                "start": start,
                "stop": stop,
                "cells": cells,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.assets_get_partitions_response_counts import AssetsGetPartitionsResponseCounts  # noqa: PLC0415
        from ..models.grid_cell import GridCell  # noqa: PLC0415

        d = dict(src_dict)
        key = d.pop("key")

        total = d.pop("total")

        counts = AssetsGetPartitionsResponseCounts.from_dict(d.pop("counts"))

        start = d.pop("start")

        stop = d.pop("stop")

        cells = []
        _cells = d.pop("cells")
        for cells_item_data in _cells:
            cells_item = GridCell.from_dict(cells_item_data)

            cells.append(cells_item)

        assets_get_partitions_response = cls(
            key=key,
            total=total,
            counts=counts,
            start=start,
            stop=stop,
            cells=cells,
        )

        return assets_get_partitions_response
