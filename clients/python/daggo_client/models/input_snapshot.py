from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.wiring import Wiring
from ..types import UNSET, Unset

T = TypeVar("T", bound="InputSnapshot")


@_attrs_define
class InputSnapshot:
    """One input field of an op: its type's name, its wiring and the ops feeding it.

    Attributes:
        field (str):
        type_ (str):
        wiring (Wiring): How an input field is fed: exactly one producer, all producers, or at most one.
        producers (list[str] | Unset):
    """

    field: str
    type_: str
    wiring: Wiring
    producers: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        field = self.field

        type_ = self.type_

        wiring = self.wiring.value

        producers: list[str] | Unset = UNSET
        if not isinstance(self.producers, Unset):
            producers = self.producers

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "field": field,
                "type": type_,
                "wiring": wiring,
            }
        )
        if producers is not UNSET:
            field_dict["producers"] = producers

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        field = d.pop("field")

        type_ = d.pop("type")

        wiring = Wiring(d.pop("wiring"))

        producers = cast(list[str], d.pop("producers", UNSET))

        input_snapshot = cls(
            field=field,
            type_=type_,
            wiring=wiring,
            producers=producers,
        )

        return input_snapshot
