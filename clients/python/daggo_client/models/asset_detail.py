from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.asset_check_info import AssetCheckInfo
    from ..models.asset_detail_tags import AssetDetailTags
    from ..models.asset_event_info import AssetEventInfo
    from ..models.asset_summary import AssetSummary


T = TypeVar("T", bound="AssetDetail")


@_attrs_define
class AssetDetail:
    """One asset: its summary, its checks with their latest results, and its latest
    materializations and observations.

        Attributes:
            asset (AssetSummary): An asset as the catalog lists it: how it is made, its latest materialization,
                whether it is stale (and why), its partitions by status and its checks.
            output_type (str):
            max_partitions_per_run (int):
            automation_debounce_seconds (float | None):
            checks (list[AssetCheckInfo]):
            recent (list[AssetEventInfo]):
            tags (AssetDetailTags):
    """

    asset: AssetSummary
    output_type: str
    max_partitions_per_run: int
    automation_debounce_seconds: float | None
    checks: list[AssetCheckInfo]
    recent: list[AssetEventInfo]
    tags: AssetDetailTags

    def to_dict(self) -> dict[str, Any]:
        asset = self.asset.to_dict()

        output_type = self.output_type

        max_partitions_per_run = self.max_partitions_per_run

        automation_debounce_seconds: float | None
        automation_debounce_seconds = self.automation_debounce_seconds

        checks = []
        for checks_item_data in self.checks:
            checks_item = checks_item_data.to_dict()
            checks.append(checks_item)

        recent = []
        for recent_item_data in self.recent:
            recent_item = recent_item_data.to_dict()
            recent.append(recent_item)

        tags = self.tags.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "asset": asset,
                "output_type": output_type,
                "max_partitions_per_run": max_partitions_per_run,
                "automation_debounce_seconds": automation_debounce_seconds,
                "checks": checks,
                "recent": recent,
                "tags": tags,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.asset_check_info import AssetCheckInfo  # noqa: PLC0415
        from ..models.asset_detail_tags import AssetDetailTags  # noqa: PLC0415
        from ..models.asset_event_info import AssetEventInfo  # noqa: PLC0415
        from ..models.asset_summary import AssetSummary  # noqa: PLC0415

        d = dict(src_dict)
        asset = AssetSummary.from_dict(d.pop("asset"))

        output_type = d.pop("output_type")

        max_partitions_per_run = d.pop("max_partitions_per_run")

        def _parse_automation_debounce_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        automation_debounce_seconds = _parse_automation_debounce_seconds(d.pop("automation_debounce_seconds"))

        checks = []
        _checks = d.pop("checks")
        for checks_item_data in _checks:
            checks_item = AssetCheckInfo.from_dict(checks_item_data)

            checks.append(checks_item)

        recent = []
        _recent = d.pop("recent")
        for recent_item_data in _recent:
            recent_item = AssetEventInfo.from_dict(recent_item_data)

            recent.append(recent_item)

        tags = AssetDetailTags.from_dict(d.pop("tags"))

        asset_detail = cls(
            asset=asset,
            output_type=output_type,
            max_partitions_per_run=max_partitions_per_run,
            automation_debounce_seconds=automation_debounce_seconds,
            checks=checks,
            recent=recent,
            tags=tags,
        )

        return asset_detail
