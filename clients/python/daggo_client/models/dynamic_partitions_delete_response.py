from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="DynamicPartitionsDeleteResponse")


@_attrs_define
class DynamicPartitionsDeleteResponse:
    """
    Attributes:
        deleted (int):
    """

    deleted: int

    def to_dict(self) -> dict[str, Any]:
        deleted = self.deleted

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "deleted": deleted,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        deleted = d.pop("deleted")

        dynamic_partitions_delete_response = cls(
            deleted=deleted,
        )

        return dynamic_partitions_delete_response
