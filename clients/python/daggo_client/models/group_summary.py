from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="GroupSummary")


@_attrs_define
class GroupSummary:
    """A group of assets and how many of them the catalog holds.

    Attributes:
        name (str):
        assets (int):
    """

    name: str
    assets: int

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        assets = self.assets

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "assets": assets,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        assets = d.pop("assets")

        group_summary = cls(
            name=name,
            assets=assets,
        )

        return group_summary
