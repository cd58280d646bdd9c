from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.asset_edge import AssetEdge
    from ..models.asset_summary import AssetSummary


T = TypeVar("T", bound="AssetsGetGraphResponse")


@_attrs_define
class AssetsGetGraphResponse:
    """
    Attributes:
        assets (list[AssetSummary]):
        edges (list[AssetEdge]):
    """

    assets: list[AssetSummary]
    edges: list[AssetEdge]

    def to_dict(self) -> dict[str, Any]:
        assets = []
        for assets_item_data in self.assets:
            assets_item = assets_item_data.to_dict()
            assets.append(assets_item)

        edges = []
        for edges_item_data in self.edges:
            edges_item = edges_item_data.to_dict()
            edges.append(edges_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "assets": assets,
                "edges": edges,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.asset_edge import AssetEdge  # noqa: PLC0415
        from ..models.asset_summary import AssetSummary  # noqa: PLC0415

        d = dict(src_dict)
        assets = []
        _assets = d.pop("assets")
        for assets_item_data in _assets:
            assets_item = AssetSummary.from_dict(assets_item_data)

            assets.append(assets_item)

        edges = []
        _edges = d.pop("edges")
        for edges_item_data in _edges:
            edges_item = AssetEdge.from_dict(edges_item_data)

            edges.append(edges_item)

        assets_get_graph_response = cls(
            assets=assets,
            edges=edges,
        )

        return assets_get_graph_response
