from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="BackfillPreview")


@_attrs_define
class BackfillPreview:
    """What a backfill would run: `partitions` keys in `runs` runs (`first_runs` are the
    first of them), `skipped` keys left out as materialized or in progress.

        Attributes:
            job_name (str):
            asset_key (None | str):
            partitions (int):
            runs (int):
            skipped (int):
            chunk_size (int):
            first_runs (list[str]):
    """

    job_name: str
    asset_key: None | str
    partitions: int
    runs: int
    skipped: int
    chunk_size: int
    first_runs: list[str]

    def to_dict(self) -> dict[str, Any]:
        job_name = self.job_name

        asset_key: None | str
        asset_key = self.asset_key

        partitions = self.partitions

        runs = self.runs

        skipped = self.skipped

        chunk_size = self.chunk_size

        first_runs = self.first_runs

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "job_name": job_name,
                "asset_key": asset_key,
                "partitions": partitions,
                "runs": runs,
                "skipped": skipped,
                "chunk_size": chunk_size,
                "first_runs": first_runs,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        job_name = d.pop("job_name")

        def _parse_asset_key(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        asset_key = _parse_asset_key(d.pop("asset_key"))

        partitions = d.pop("partitions")

        runs = d.pop("runs")

        skipped = d.pop("skipped")

        chunk_size = d.pop("chunk_size")

        first_runs = cast(list[str], d.pop("first_runs"))

        backfill_preview = cls(
            job_name=job_name,
            asset_key=asset_key,
            partitions=partitions,
            runs=runs,
            skipped=skipped,
            chunk_size=chunk_size,
            first_runs=first_runs,
        )

        return backfill_preview
