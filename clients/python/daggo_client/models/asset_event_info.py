from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.asset_event_kind import AssetEventKind

if TYPE_CHECKING:
    from ..models.asset_event_info_metadata import AssetEventInfoMetadata


T = TypeVar("T", bound="AssetEventInfo")


@_attrs_define
class AssetEventInfo:
    """A materialization or observation of an asset.

    Attributes:
        id (int):
        kind (AssetEventKind): A materialization (daggo or an outside system made the asset) or an observation
            (an outside system reports the asset as it is, e.g. a file's size).
        partition_key (None | str):
        run_id (None | str):
        step_key (None | str):
        timestamp (datetime.datetime):
        metadata (AssetEventInfoMetadata):
    """

    id: int
    kind: AssetEventKind
    partition_key: None | str
    run_id: None | str
    step_key: None | str
    timestamp: datetime.datetime
    metadata: AssetEventInfoMetadata

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        kind = self.kind.value

        partition_key: None | str
        partition_key = self.partition_key

        run_id: None | str
        run_id = self.run_id

        step_key: None | str
        step_key = self.step_key

        timestamp = self.timestamp.isoformat()

        metadata = self.metadata.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "kind": kind,
                "partition_key": partition_key,
                "run_id": run_id,
                "step_key": step_key,
                "timestamp": timestamp,
                "metadata": metadata,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.asset_event_info_metadata import AssetEventInfoMetadata  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        kind = AssetEventKind(d.pop("kind"))

        def _parse_partition_key(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        partition_key = _parse_partition_key(d.pop("partition_key"))

        def _parse_run_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        run_id = _parse_run_id(d.pop("run_id"))

        def _parse_step_key(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        step_key = _parse_step_key(d.pop("step_key"))

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        metadata = AssetEventInfoMetadata.from_dict(d.pop("metadata"))

        asset_event_info = cls(
            id=id,
            kind=kind,
            partition_key=partition_key,
            run_id=run_id,
            step_key=step_key,
            timestamp=timestamp,
            metadata=metadata,
        )

        return asset_event_info
