from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.asset_summary import AssetSummary
    from ..models.group_summary import GroupSummary


T = TypeVar("T", bound="AssetsGetManyResponse")


@_attrs_define
class AssetsGetManyResponse:
    """
    Attributes:
        assets (list[AssetSummary]):
        groups (list[GroupSummary]):
    """

    assets: list[AssetSummary]
    groups: list[GroupSummary]

    def to_dict(self) -> dict[str, Any]:
        assets = []
        for assets_item_data in self.assets:
            assets_item = assets_item_data.to_dict()
            assets.append(assets_item)

        groups = []
        for groups_item_data in self.groups:
            groups_item = groups_item_data.to_dict()
            groups.append(groups_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "assets": assets,
                "groups": groups,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.asset_summary import AssetSummary  # noqa: PLC0415
        from ..models.group_summary import GroupSummary  # noqa: PLC0415

        d = dict(src_dict)
        assets = []
        _assets = d.pop("assets")
        for assets_item_data in _assets:
            assets_item = AssetSummary.from_dict(assets_item_data)

            assets.append(assets_item)

        groups = []
        _groups = d.pop("groups")
        for groups_item_data in _groups:
            groups_item = GroupSummary.from_dict(groups_item_data)

            groups.append(groups_item)

        assets_get_many_response = cls(
            assets=assets,
            groups=groups,
        )

        return assets_get_many_response
