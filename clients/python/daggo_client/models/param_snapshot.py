from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.type_schema import TypeSchema


T = TypeVar("T", bound="ParamSnapshot")


@_attrs_define
class ParamSnapshot:
    """One field of a Params class (or of a class nested in it); `default` is its JSON
    value (None if required); `schema` is None in snapshots stored before it existed.

        Attributes:
            name (str):
            type_ (str):
            required (bool):
            default (Any | Unset):
            schema (None | TypeSchema | Unset):
    """

    name: str
    type_: str
    required: bool
    default: Any | Unset = UNSET
    schema: None | TypeSchema | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.type_schema import TypeSchema  # noqa: PLC0415

        name = self.name

        type_ = self.type_

        required = self.required

        default = self.default

        schema: dict[str, Any] | None | Unset
        if isinstance(self.schema, Unset):
            schema = UNSET
        elif isinstance(self.schema, TypeSchema):
            schema = self.schema.to_dict()
        else:
            schema = self.schema

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "type": type_,
                "required": required,
            }
        )
        if default is not UNSET:
            field_dict["default"] = default
        if schema is not UNSET:
            field_dict["schema"] = schema

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.type_schema import TypeSchema  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        type_ = d.pop("type")

        required = d.pop("required")

        default = d.pop("default", UNSET)

        def _parse_schema(data: object) -> None | TypeSchema | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                schema_type_0 = TypeSchema.from_dict(data)

                return schema_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TypeSchema | Unset, data)

        schema = _parse_schema(d.pop("schema", UNSET))

        param_snapshot = cls(
            name=name,
            type_=type_,
            required=required,
            default=default,
            schema=schema,
        )

        return param_snapshot
