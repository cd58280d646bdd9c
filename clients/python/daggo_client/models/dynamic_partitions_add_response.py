from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="DynamicPartitionsAddResponse")


@_attrs_define
class DynamicPartitionsAddResponse:
    """
    Attributes:
        added (list[str]):
    """

    added: list[str]

    def to_dict(self) -> dict[str, Any]:
        added = self.added

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "added": added,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        added = cast(list[str], d.pop("added"))

        dynamic_partitions_add_response = cls(
            added=added,
        )

        return dynamic_partitions_add_response
