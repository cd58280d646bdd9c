from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.jobs_launch_request_params import JobsLaunchRequestParams
    from ..models.jobs_launch_request_tags import JobsLaunchRequestTags


T = TypeVar("T", bound="JobsLaunchRequest")


@_attrs_define
class JobsLaunchRequest:
    """Queue a run of `job` with `params` (validated against the job's Params) and `tags`;
    a partitioned job's run is for `partition_key` (or a "first...last" range, where the
    job's ops take ranges).

        Attributes:
            job (str):
            params (JobsLaunchRequestParams | Unset):
            tags (JobsLaunchRequestTags | Unset):
            partition_key (None | str | Unset):
    """

    job: str
    params: JobsLaunchRequestParams | Unset = UNSET
    tags: JobsLaunchRequestTags | Unset = UNSET
    partition_key: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        job = self.job

        params: dict[str, Any] | Unset = UNSET
        if not isinstance(self.params, Unset):
            params = self.params.to_dict()

        tags: dict[str, Any] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags.to_dict()

        partition_key: None | str | Unset
        if isinstance(self.partition_key, Unset):
            partition_key = UNSET
        else:
            partition_key = self.partition_key

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "job": job,
            }
        )
        if params is not UNSET:
            field_dict["params"] = params
        if tags is not UNSET:
            field_dict["tags"] = tags
        if partition_key is not UNSET:
            field_dict["partition_key"] = partition_key

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.jobs_launch_request_params import JobsLaunchRequestParams  # noqa: PLC0415
        from ..models.jobs_launch_request_tags import JobsLaunchRequestTags  # noqa: PLC0415

        d = dict(src_dict)
        job = d.pop("job")

        _params = d.pop("params", UNSET)
        params: JobsLaunchRequestParams | Unset
        if isinstance(_params, Unset):
            params = UNSET
        else:
            params = JobsLaunchRequestParams.from_dict(_params)

        _tags = d.pop("tags", UNSET)
        tags: JobsLaunchRequestTags | Unset
        if isinstance(_tags, Unset):
            tags = UNSET
        else:
            tags = JobsLaunchRequestTags.from_dict(_tags)

        def _parse_partition_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        partition_key = _parse_partition_key(d.pop("partition_key", UNSET))

        jobs_launch_request = cls(
            job=job,
            params=params,
            tags=tags,
            partition_key=partition_key,
        )

        return jobs_launch_request
