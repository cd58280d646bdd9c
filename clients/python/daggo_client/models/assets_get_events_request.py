from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.asset_event_kind import AssetEventKind
from ..types import UNSET, Unset

T = TypeVar("T", bound="AssetsGetEventsRequest")


@_attrs_define
class AssetsGetEventsRequest:
    """An asset's materializations and observations, newest first.

    Attributes:
        key (str):
        kind (AssetEventKind | None | Unset):
        partition_key (None | str | Unset):
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset):
    """

    key: str
    kind: AssetEventKind | None | Unset = UNSET
    partition_key: None | str | Unset = UNSET
    limit: int | Unset = 50
    cursor: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        kind: None | str | Unset
        if isinstance(self.kind, Unset):
            kind = UNSET
        elif isinstance(self.kind, AssetEventKind):
            kind = self.kind.value
        else:
            kind = self.kind

        partition_key: None | str | Unset
        if isinstance(self.partition_key, Unset):
            partition_key = UNSET
        else:
            partition_key = self.partition_key

        limit = self.limit

        cursor: None | str | Unset
        if isinstance(self.cursor, Unset):
            cursor = UNSET
        else:
            cursor = self.cursor

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
        if limit is not UNSET:
            field_dict["limit"] = limit
        if cursor is not UNSET:
            field_dict["cursor"] = cursor

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        key = d.pop("key")

        def _parse_kind(data: object) -> AssetEventKind | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                kind_type_0 = AssetEventKind(data)

                return kind_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AssetEventKind | None | Unset, data)

        kind = _parse_kind(d.pop("kind", UNSET))

        def _parse_partition_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        partition_key = _parse_partition_key(d.pop("partition_key", UNSET))

        limit = d.pop("limit", UNSET)

        def _parse_cursor(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        cursor = _parse_cursor(d.pop("cursor", UNSET))

        assets_get_events_request = cls(
            key=key,
            kind=kind,
            partition_key=partition_key,
            limit=limit,
            cursor=cursor,
        )

        return assets_get_events_request
