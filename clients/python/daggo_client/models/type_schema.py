from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.type_kind import TypeKind
from ..types import UNSET, Unset

T = TypeVar("T", bound="TypeSchema")


@_attrs_define
class TypeSchema:
    """One type as a launch without the code checks it; `label` is how messages name it.

    Attributes:
        kind (TypeKind): What JSON value a type takes.
        label (str):
        args (list[TypeSchema] | Unset):
        values (list[Any] | Unset):
        ref (None | str | Unset):
    """

    kind: TypeKind
    label: str
    args: list[TypeSchema] | Unset = UNSET
    values: list[Any] | Unset = UNSET
    ref: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind.value

        label = self.label

        args: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.args, Unset):
            args = []
            for args_item_data in self.args:
                args_item = args_item_data.to_dict()
                args.append(args_item)

        values: list[Any] | Unset = UNSET
        if not isinstance(self.values, Unset):
            values = self.values

        ref: None | str | Unset
        if isinstance(self.ref, Unset):
            ref = UNSET
        else:
            ref = self.ref

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
                "label": label,
            }
        )
        if args is not UNSET:
            field_dict["args"] = args
        if values is not UNSET:
            field_dict["values"] = values
        if ref is not UNSET:
            field_dict["ref"] = ref

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        kind = TypeKind(d.pop("kind"))

        label = d.pop("label")

        _args = d.pop("args", UNSET)
        args: list[TypeSchema] | Unset = UNSET
        if _args is not UNSET:
            args = []
            for args_item_data in _args:
                args_item = TypeSchema.from_dict(args_item_data)

                args.append(args_item)

        values = cast(list[Any], d.pop("values", UNSET))

        def _parse_ref(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ref = _parse_ref(d.pop("ref", UNSET))

        type_schema = cls(
            kind=kind,
            label=label,
            args=args,
            values=values,
            ref=ref,
        )

        return type_schema
