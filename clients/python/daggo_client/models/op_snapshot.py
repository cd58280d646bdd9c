from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.input_snapshot import InputSnapshot


T = TypeVar("T", bound="OpSnapshot")


@_attrs_define
class OpSnapshot:
    """One op of a job, in the job's execution order.

    Attributes:
        name (str):
        description (str | Unset):  Default: ''.
        input_type (str | Unset):  Default: ''.
        output_type (str | Unset):  Default: ''.
        is_async (bool | Unset):  Default: False.
        inputs (list[InputSnapshot] | Unset):
        assets (list[str] | Unset):
    """

    name: str
    description: str | Unset = ""
    input_type: str | Unset = ""
    output_type: str | Unset = ""
    is_async: bool | Unset = False
    inputs: list[InputSnapshot] | Unset = UNSET
    assets: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        description = self.description

        input_type = self.input_type

        output_type = self.output_type

        is_async = self.is_async

        inputs: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.inputs, Unset):
            inputs = []
            for inputs_item_data in self.inputs:
                inputs_item = inputs_item_data.to_dict()
                inputs.append(inputs_item)

        assets: list[str] | Unset = UNSET
        if not isinstance(self.assets, Unset):
            assets = self.assets

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if input_type is not UNSET:
            field_dict["input_type"] = input_type
        if output_type is not UNSET:
            field_dict["output_type"] = output_type
        if is_async is not UNSET:
            field_dict["is_async"] = is_async
        if inputs is not UNSET:
            field_dict["inputs"] = inputs
        if assets is not UNSET:
            field_dict["assets"] = assets

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.input_snapshot import InputSnapshot  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        description = d.pop("description", UNSET)

        input_type = d.pop("input_type", UNSET)

        output_type = d.pop("output_type", UNSET)

        is_async = d.pop("is_async", UNSET)

        _inputs = d.pop("inputs", UNSET)
        inputs: list[InputSnapshot] | Unset = UNSET
        if _inputs is not UNSET:
            inputs = []
            for inputs_item_data in _inputs:
                inputs_item = InputSnapshot.from_dict(inputs_item_data)

                inputs.append(inputs_item)

        assets = cast(list[str], d.pop("assets", UNSET))

        op_snapshot = cls(
            name=name,
            description=description,
            input_type=input_type,
            output_type=output_type,
            is_async=is_async,
            inputs=inputs,
            assets=assets,
        )

        return op_snapshot
