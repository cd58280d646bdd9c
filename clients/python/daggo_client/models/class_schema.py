from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.param_snapshot import ParamSnapshot


T = TypeVar("T", bound="ClassSchema")


@_attrs_define
class ClassSchema:
    """An attrs class nested in the params, referenced by `TypeSchema.ref == key`.

    Attributes:
        key (str):
        name (str):
        fields (list[ParamSnapshot] | Unset):
    """

    key: str
    name: str
    fields: list[ParamSnapshot] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        name = self.name

        fields: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.fields, Unset):
            fields = []
            for fields_item_data in self.fields:
                fields_item = fields_item_data.to_dict()
                fields.append(fields_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "key": key,
                "name": name,
            }
        )
        if fields is not UNSET:
            field_dict["fields"] = fields

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.param_snapshot import ParamSnapshot  # noqa: PLC0415

        d = dict(src_dict)
        key = d.pop("key")

        name = d.pop("name")

        _fields = d.pop("fields", UNSET)
        fields: list[ParamSnapshot] | Unset = UNSET
        if _fields is not UNSET:
            fields = []
            for fields_item_data in _fields:
                fields_item = ParamSnapshot.from_dict(fields_item_data)

                fields.append(fields_item)

        class_schema = cls(
            key=key,
            name=name,
            fields=fields,
        )

        return class_schema
