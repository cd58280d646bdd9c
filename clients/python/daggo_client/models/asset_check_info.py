from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.check_result_info import CheckResultInfo


T = TypeVar("T", bound="AssetCheckInfo")


@_attrs_define
class AssetCheckInfo:
    """A check of an asset and its latest result (None before it first ran).

    Attributes:
        name (str):
        description (str):
        blocking (bool):
        latest (CheckResultInfo | None):
    """

    name: str
    description: str
    blocking: bool
    latest: CheckResultInfo | None

    def to_dict(self) -> dict[str, Any]:
        from ..models.check_result_info import CheckResultInfo  # noqa: PLC0415

        name = self.name

        description = self.description

        blocking = self.blocking

        latest: dict[str, Any] | None
        if isinstance(self.latest, CheckResultInfo):
            latest = self.latest.to_dict()
        else:
            latest = self.latest

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "description": description,
                "blocking": blocking,
                "latest": latest,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.check_result_info import CheckResultInfo  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        description = d.pop("description")

        blocking = d.pop("blocking")

        def _parse_latest(data: object) -> CheckResultInfo | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                latest_type_0 = CheckResultInfo.from_dict(data)

                return latest_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CheckResultInfo | None, data)

        latest = _parse_latest(d.pop("latest"))

        asset_check_info = cls(
            name=name,
            description=description,
            blocking=blocking,
            latest=latest,
        )

        return asset_check_info
