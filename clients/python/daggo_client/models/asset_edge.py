from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="AssetEdge")


@_attrs_define
class AssetEdge:
    """`target` depends on `source`: it reads its value (`reads`), or only follows it.

    Attributes:
        source (str):
        target (str):
        reads (bool):
    """

    source: str
    target: str
    reads: bool

    def to_dict(self) -> dict[str, Any]:
        source = self.source

        target = self.target

        reads = self.reads

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "source": source,
                "target": target,
                "reads": reads,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        source = d.pop("source")

        target = d.pop("target")

        reads = d.pop("reads")

        asset_edge = cls(
            source=source,
            target=target,
            reads=reads,
        )

        return asset_edge
