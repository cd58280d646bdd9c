from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.backfill_status import BackfillStatus

if TYPE_CHECKING:
    from ..models.backfill_info_run_counts import BackfillInfoRunCounts


T = TypeVar("T", bound="BackfillInfo")


@_attrs_define
class BackfillInfo:
    """A backfill and its runs by status (`unsubmitted`: planned, not created yet).

    Attributes:
        id (str):
        job_name (str):
        asset_key (None | str):
        status (BackfillStatus): Enum where members are also (and must be) strings
        description (str):
        partitions (int):
        planned (int):
        submitted (int):
        chunk_size (int):
        only_missing (bool):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        error (None | str):
        run_counts (BackfillInfoRunCounts):
        unsubmitted (int):
    """

    id: str
    job_name: str
    asset_key: None | str
    status: BackfillStatus
    description: str
    partitions: int
    planned: int
    submitted: int
    chunk_size: int
    only_missing: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime
    error: None | str
    run_counts: BackfillInfoRunCounts
    unsubmitted: int

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        job_name = self.job_name

        asset_key: None | str
        asset_key = self.asset_key

        status = self.status.value

        description = self.description

        partitions = self.partitions

        planned = self.planned

        submitted = self.submitted

        chunk_size = self.chunk_size

        only_missing = self.only_missing

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        error: None | str
        error = self.error

        run_counts = self.run_counts.to_dict()

        unsubmitted = self.unsubmitted

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "job_name": job_name,
                "asset_key": asset_key,
                "status": status,
                "description": description,
                "partitions": partitions,
                "planned": planned,
                "submitted": submitted,
                "chunk_size": chunk_size,
                "only_missing": only_missing,
                "created_at": created_at,
                "updated_at": updated_at,
                "error": error,
                "run_counts": run_counts,
                "unsubmitted": unsubmitted,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.backfill_info_run_counts import BackfillInfoRunCounts  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        job_name = d.pop("job_name")

        def _parse_asset_key(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        asset_key = _parse_asset_key(d.pop("asset_key"))

        status = BackfillStatus(d.pop("status"))

        description = d.pop("description")

        partitions = d.pop("partitions")

        planned = d.pop("planned")

        submitted = d.pop("submitted")

        chunk_size = d.pop("chunk_size")

        only_missing = d.pop("only_missing")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error = _parse_error(d.pop("error"))

        run_counts = BackfillInfoRunCounts.from_dict(d.pop("run_counts"))

        unsubmitted = d.pop("unsubmitted")

        backfill_info = cls(
            id=id,
            job_name=job_name,
            asset_key=asset_key,
            status=status,
            description=description,
            partitions=partitions,
            planned=planned,
            submitted=submitted,
            chunk_size=chunk_size,
            only_missing=only_missing,
            created_at=created_at,
            updated_at=updated_at,
            error=error,
            run_counts=run_counts,
            unsubmitted=unsubmitted,
        )

        return backfill_info
