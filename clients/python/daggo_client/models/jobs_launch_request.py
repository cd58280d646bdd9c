from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.jobs_launch_request_params import JobsLaunchRequestParams
    from ..models.jobs_launch_request_tags import JobsLaunchRequestTags


T = TypeVar("T", bound="JobsLaunchRequest")


@_attrs_define
class JobsLaunchRequest:
    """Queue a run of `job` with `params` (validated against the job's Params) and `tags`.

    Attributes:
        job (str):
        params (JobsLaunchRequestParams | Unset):
        tags (JobsLaunchRequestTags | Unset):
    """

    job: str
    params: JobsLaunchRequestParams | Unset = UNSET
    tags: JobsLaunchRequestTags | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        job = self.job

        params: dict[str, Any] | Unset = UNSET
        if not isinstance(self.params, Unset):
            params = self.params.to_dict()

        tags: dict[str, Any] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags.to_dict()

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

        jobs_launch_request = cls(
            job=job,
            params=params,
            tags=tags,
        )

        return jobs_launch_request
