from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="BackfillsGetManyRequest")


@_attrs_define
class BackfillsGetManyRequest:
    """Backfills, newest first (of one job).

    Attributes:
        job (None | str | Unset):
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset):
    """

    job: None | str | Unset = UNSET
    limit: int | Unset = 50
    cursor: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        job: None | str | Unset
        if isinstance(self.job, Unset):
            job = UNSET
        else:
            job = self.job

        limit = self.limit

        cursor: None | str | Unset
        if isinstance(self.cursor, Unset):
            cursor = UNSET
        else:
            cursor = self.cursor

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if job is not UNSET:
            field_dict["job"] = job
        if limit is not UNSET:
            field_dict["limit"] = limit
        if cursor is not UNSET:
            field_dict["cursor"] = cursor

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_job(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        job = _parse_job(d.pop("job", UNSET))

        limit = d.pop("limit", UNSET)

        def _parse_cursor(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        cursor = _parse_cursor(d.pop("cursor", UNSET))

        backfills_get_many_request = cls(
            job=job,
            limit=limit,
            cursor=cursor,
        )

        return backfills_get_many_request
