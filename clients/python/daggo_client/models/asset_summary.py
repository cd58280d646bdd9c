from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.asset_kind import AssetKind

if TYPE_CHECKING:
    from ..models.asset_summary_check_counts import AssetSummaryCheckCounts
    from ..models.asset_summary_partition_counts import AssetSummaryPartitionCounts


T = TypeVar("T", bound="AssetSummary")


@_attrs_define
class AssetSummary:
    """An asset as the catalog lists it: how it is made, its latest materialization,
    whether it is stale (and why), its partitions by status and its checks.

        Attributes:
            key (str):
            group (str):
            description (str):
            kind (AssetKind): How an asset is made: by an `@asset` (a job of its own), by an op of a job that
                declares it, or outside daggo (it is only observed).
            owners (list[str]):
            job_name (None | str):
            active (bool):
            upstream (list[str]):
            downstream (list[str]):
            partitions_description (str):
            partition_total (int | None):
            partition_counts (AssetSummaryPartitionCounts):
            last_materialized_at (datetime.datetime | None):
            last_run_id (None | str):
            last_observed_at (datetime.datetime | None):
            stale (bool):
            stale_reasons (list[str]):
            check_counts (AssetSummaryCheckCounts):
            automation (bool):
    """

    key: str
    group: str
    description: str
    kind: AssetKind
    owners: list[str]
    job_name: None | str
    active: bool
    upstream: list[str]
    downstream: list[str]
    partitions_description: str
    partition_total: int | None
    partition_counts: AssetSummaryPartitionCounts
    last_materialized_at: datetime.datetime | None
    last_run_id: None | str
    last_observed_at: datetime.datetime | None
    stale: bool
    stale_reasons: list[str]
    check_counts: AssetSummaryCheckCounts
    automation: bool

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        group = self.group

        description = self.description

        kind = self.kind.value

        owners = self.owners

        job_name: None | str
        job_name = self.job_name

        active = self.active

        upstream = self.upstream

        downstream = self.downstream

        partitions_description = self.partitions_description

        partition_total: int | None
        partition_total = self.partition_total

        partition_counts = self.partition_counts.to_dict()

        last_materialized_at: None | str
        if isinstance(self.last_materialized_at, datetime.datetime):
            last_materialized_at = self.last_materialized_at.isoformat()
        else:
            last_materialized_at = self.last_materialized_at

        last_run_id: None | str
        last_run_id = self.last_run_id

        last_observed_at: None | str
        if isinstance(self.last_observed_at, datetime.datetime):
            last_observed_at = self.last_observed_at.isoformat()
        else:
            last_observed_at = self.last_observed_at

        stale = self.stale

        stale_reasons = self.stale_reasons

        check_counts = self.check_counts.to_dict()

        automation = self.automation

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "key": key,
                "group": group,
                "description": description,
                "kind": kind,
                "owners": owners,
                "job_name": job_name,
                "active": active,
                "upstream": upstream,
                "downstream": downstream,
                "partitions_description": partitions_description,
                "partition_total": partition_total,
                "partition_counts": partition_counts,
                "last_materialized_at": last_materialized_at,
                "last_run_id": last_run_id,
                "last_observed_at": last_observed_at,
                "stale": stale,
                "stale_reasons": stale_reasons,
                "check_counts": check_counts,
                "automation": automation,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.asset_summary_check_counts import AssetSummaryCheckCounts  # noqa: PLC0415
        from ..models.asset_summary_partition_counts import AssetSummaryPartitionCounts  # noqa: PLC0415

        d = dict(src_dict)
        key = d.pop("key")

        group = d.pop("group")

        description = d.pop("description")

        kind = AssetKind(d.pop("kind"))

        owners = cast(list[str], d.pop("owners"))

        def _parse_job_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        job_name = _parse_job_name(d.pop("job_name"))

        active = d.pop("active")

        upstream = cast(list[str], d.pop("upstream"))

        downstream = cast(list[str], d.pop("downstream"))

        partitions_description = d.pop("partitions_description")

        def _parse_partition_total(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        partition_total = _parse_partition_total(d.pop("partition_total"))

        partition_counts = AssetSummaryPartitionCounts.from_dict(d.pop("partition_counts"))

        def _parse_last_materialized_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_materialized_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_materialized_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_materialized_at = _parse_last_materialized_at(d.pop("last_materialized_at"))

        def _parse_last_run_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_run_id = _parse_last_run_id(d.pop("last_run_id"))

        def _parse_last_observed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_observed_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_observed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_observed_at = _parse_last_observed_at(d.pop("last_observed_at"))

        stale = d.pop("stale")

        stale_reasons = cast(list[str], d.pop("stale_reasons"))

        check_counts = AssetSummaryCheckCounts.from_dict(d.pop("check_counts"))

        automation = d.pop("automation")

        asset_summary = cls(
            key=key,
            group=group,
            description=description,
            kind=kind,
            owners=owners,
            job_name=job_name,
            active=active,
            upstream=upstream,
            downstream=downstream,
            partitions_description=partitions_description,
            partition_total=partition_total,
            partition_counts=partition_counts,
            last_materialized_at=last_materialized_at,
            last_run_id=last_run_id,
            last_observed_at=last_observed_at,
            stale=stale,
            stale_reasons=stale_reasons,
            check_counts=check_counts,
            automation=automation,
        )

        return asset_summary
