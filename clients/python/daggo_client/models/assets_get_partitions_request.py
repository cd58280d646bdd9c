from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="AssetsGetPartitionsRequest")


@_attrs_define
class AssetsGetPartitionsRequest:
    """The partition grid of a partitioned asset: its partitions from index `start` to
    `stop` (None: the last), aggregated into at most `cells` ranges of equal size.

        Attributes:
            key (str):
            start (int | Unset):  Default: 0.
            stop (int | None | Unset):
            cells (int | Unset):  Default: 200.
    """

    key: str
    start: int | Unset = 0
    stop: int | None | Unset = UNSET
    cells: int | Unset = 200

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        start = self.start

        stop: int | None | Unset
        if isinstance(self.stop, Unset):
            stop = UNSET
        else:
            stop = self.stop

        cells = self.cells

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "key": key,
            }
        )
        if start is not UNSET:
            field_dict["start"] = start
        if stop is not UNSET:
            field_dict["stop"] = stop
        if cells is not UNSET:
            field_dict["cells"] = cells

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        key = d.pop("key")

        start = d.pop("start", UNSET)

        def _parse_stop(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        stop = _parse_stop(d.pop("stop", UNSET))

        cells = d.pop("cells", UNSET)

        assets_get_partitions_request = cls(
            key=key,
            start=start,
            stop=stop,
            cells=cells,
        )

        return assets_get_partitions_request
