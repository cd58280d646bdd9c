from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.asset_event_kind import AssetEventKind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.assets_report_event_request_metadata import AssetsReportEventRequestMetadata


T = TypeVar("T", bound="AssetsReportEventRequest")


@_attrs_define
class AssetsReportEventRequest:
    """Report that an asset was materialized or observed outside a daggo run, with
    metadata (JSON values).

        Attributes:
            key (str):
            kind (AssetEventKind | Unset): A materialization (daggo or an outside system made the asset) or an observation
                (an outside system reports the asset as it is, e.g. a file's size).
            partition_key (None | str | Unset):
            metadata (AssetsReportEventRequestMetadata | Unset):
    """

    key: str
    kind: AssetEventKind | Unset = UNSET
    partition_key: None | str | Unset = UNSET
    metadata: AssetsReportEventRequestMetadata | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        kind: str | Unset = UNSET
        if not isinstance(self.kind, Unset):
            kind = self.kind.value

        partition_key: None | str | Unset
        if isinstance(self.partition_key, Unset):
            partition_key = UNSET
        else:
            partition_key = self.partition_key

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "key": key,
            }
        )
        if kind is not UNSET:
            field_dict["kind"] = kind
        if partition_key is not UNSET:
            field_dict["partition_key"] = partition_key
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.assets_report_event_request_metadata import AssetsReportEventRequestMetadata  # noqa: PLC0415

        d = dict(src_dict)
        key = d.pop("key")

        _kind = d.pop("kind", UNSET)
        kind: AssetEventKind | Unset
        if isinstance(_kind, Unset):
            kind = UNSET
        else:
            kind = AssetEventKind(_kind)

        def _parse_partition_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        partition_key = _parse_partition_key(d.pop("partition_key", UNSET))

        _metadata = d.pop("metadata", UNSET)
        metadata: AssetsReportEventRequestMetadata | Unset
        if isinstance(_metadata, Unset):
            metadata = UNSET
        else:
            metadata = AssetsReportEventRequestMetadata.from_dict(_metadata)

        assets_report_event_request = cls(
            key=key,
            kind=kind,
            partition_key=partition_key,
            metadata=metadata,
        )

        return assets_report_event_request
