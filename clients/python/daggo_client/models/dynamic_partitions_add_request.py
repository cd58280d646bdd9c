from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="DynamicPartitionsAddRequest")


@_attrs_define
class DynamicPartitionsAddRequest:
    """Add `keys` to the set `name` (those it holds already are left as they are).

    Attributes:
        name (str):
        keys (list[str]):
    """

    name: str
    keys: list[str]

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        keys = self.keys

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "keys": keys,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        keys = cast(list[str], d.pop("keys"))

        dynamic_partitions_add_request = cls(
            name=name,
            keys=keys,
        )

        return dynamic_partitions_add_request
