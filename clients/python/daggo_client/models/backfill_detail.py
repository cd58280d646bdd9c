from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.backfill_info import BackfillInfo


T = TypeVar("T", bound="BackfillDetail")


@_attrs_define
class BackfillDetail:
    """
    Attributes:
        backfill (BackfillInfo): A backfill and its runs by status (`unsubmitted`: planned, not created yet).
    """

    backfill: BackfillInfo

    def to_dict(self) -> dict[str, Any]:
        backfill = self.backfill.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "backfill": backfill,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.backfill_info import BackfillInfo  # noqa: PLC0415

        d = dict(src_dict)
        backfill = BackfillInfo.from_dict(d.pop("backfill"))

        backfill_detail = cls(
            backfill=backfill,
        )

        return backfill_detail
