from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.backfills_launch_request_params import BackfillsLaunchRequestParams
    from ..models.backfills_launch_request_tags import BackfillsLaunchRequestTags


T = TypeVar("T", bound="BackfillsLaunchRequest")


@_attrs_define
class BackfillsLaunchRequest:
    """A backfill of `job` (or of the job that makes `asset`) over `partition_keys`, or
    the range `first` to `last`, or every partition; `only_missing` keeps the partitions
    not materialized or failed. `chunk_size` keys per run at most (default: what the
    job's ops allow). `params` and `tags` go to every run.

        Attributes:
            job (None | str | Unset):
            asset (None | str | Unset):
            partition_keys (list[str] | Unset):
            first (None | str | Unset):
            last (None | str | Unset):
            only_missing (bool | Unset):  Default: False.
            chunk_size (int | None | Unset):
            params (BackfillsLaunchRequestParams | Unset):
            tags (BackfillsLaunchRequestTags | Unset):
    """

    job: None | str | Unset = UNSET
    asset: None | str | Unset = UNSET
    partition_keys: list[str] | Unset = UNSET
    first: None | str | Unset = UNSET
    last: None | str | Unset = UNSET
    only_missing: bool | Unset = False
    chunk_size: int | None | Unset = UNSET
    params: BackfillsLaunchRequestParams | Unset = UNSET
    tags: BackfillsLaunchRequestTags | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        job: None | str | Unset
        if isinstance(self.job, Unset):
            job = UNSET
        else:
            job = self.job

        asset: None | str | Unset
        if isinstance(self.asset, Unset):
            asset = UNSET
        else:
            asset = self.asset

        partition_keys: list[str] | Unset = UNSET
        if not isinstance(self.partition_keys, Unset):
            partition_keys = self.partition_keys

        first: None | str | Unset
        if isinstance(self.first, Unset):
            first = UNSET
        else:
            first = self.first

        last: None | str | Unset
        if isinstance(self.last, Unset):
            last = UNSET
        else:
            last = self.last

        only_missing = self.only_missing

        chunk_size: int | None | Unset
        if isinstance(self.chunk_size, Unset):
            chunk_size = UNSET
        else:
            chunk_size = self.chunk_size

        params: dict[str, Any] | Unset = UNSET
        if not isinstance(self.params, Unset):
            params = self.params.to_dict()

        tags: dict[str, Any] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if job is not UNSET:
            field_dict["job"] = job
        if asset is not UNSET:
            field_dict["asset"] = asset
        if partition_keys is not UNSET:
            field_dict["partition_keys"] = partition_keys
        if first is not UNSET:
            field_dict["first"] = first
        if last is not UNSET:
            field_dict["last"] = last
        if only_missing is not UNSET:
            field_dict["only_missing"] = only_missing
        if chunk_size is not UNSET:
            field_dict["chunk_size"] = chunk_size
        if params is not UNSET:
            field_dict["params"] = params
        if tags is not UNSET:
            field_dict["tags"] = tags

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.backfills_launch_request_params import BackfillsLaunchRequestParams  # noqa: PLC0415
        from ..models.backfills_launch_request_tags import BackfillsLaunchRequestTags  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_job(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        job = _parse_job(d.pop("job", UNSET))

        def _parse_asset(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        asset = _parse_asset(d.pop("asset", UNSET))

        partition_keys = cast(list[str], d.pop("partition_keys", UNSET))

        def _parse_first(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        first = _parse_first(d.pop("first", UNSET))

        def _parse_last(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last = _parse_last(d.pop("last", UNSET))

        only_missing = d.pop("only_missing", UNSET)

        def _parse_chunk_size(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        chunk_size = _parse_chunk_size(d.pop("chunk_size", UNSET))

        _params = d.pop("params", UNSET)
        params: BackfillsLaunchRequestParams | Unset
        if isinstance(_params, Unset):
            params = UNSET
        else:
            params = BackfillsLaunchRequestParams.from_dict(_params)

        _tags = d.pop("tags", UNSET)
        tags: BackfillsLaunchRequestTags | Unset
        if isinstance(_tags, Unset):
            tags = UNSET
        else:
            tags = BackfillsLaunchRequestTags.from_dict(_tags)

        backfills_launch_request = cls(
            job=job,
            asset=asset,
            partition_keys=partition_keys,
            first=first,
            last=last,
            only_missing=only_missing,
            chunk_size=chunk_size,
            params=params,
            tags=tags,
        )

        return backfills_launch_request
