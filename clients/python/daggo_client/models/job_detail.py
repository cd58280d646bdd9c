from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.job_snapshot import JobSnapshot
    from ..models.run_summary import RunSummary
    from ..models.schedule_summary import ScheduleSummary


T = TypeVar("T", bound="JobDetail")


@_attrs_define
class JobDetail:
    """A job with its whole graph (ops, their inputs and producers), params and tags.

    Attributes:
        name (str):
        description (str):
        active (bool):
        graph (JobSnapshot): A job as stored: ops in execution order, params (the Params class's fields and the
            attrs classes nested in them), schedules and tags.
        schedules (list[ScheduleSummary]):
        latest_run (None | RunSummary):
    """

    name: str
    description: str
    active: bool
    graph: JobSnapshot
    schedules: list[ScheduleSummary]
    latest_run: None | RunSummary

    def to_dict(self) -> dict[str, Any]:
        from ..models.run_summary import RunSummary  # noqa: PLC0415

        name = self.name

        description = self.description

        active = self.active

        graph = self.graph.to_dict()

        schedules = []
        for schedules_item_data in self.schedules:
            schedules_item = schedules_item_data.to_dict()
            schedules.append(schedules_item)

        latest_run: dict[str, Any] | None
        if isinstance(self.latest_run, RunSummary):
            latest_run = self.latest_run.to_dict()
        else:
            latest_run = self.latest_run

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "description": description,
                "active": active,
                "graph": graph,
                "schedules": schedules,
                "latest_run": latest_run,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.job_snapshot import JobSnapshot  # noqa: PLC0415
        from ..models.run_summary import RunSummary  # noqa: PLC0415
        from ..models.schedule_summary import ScheduleSummary  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        description = d.pop("description")

        active = d.pop("active")

        graph = JobSnapshot.from_dict(d.pop("graph"))

        schedules = []
        _schedules = d.pop("schedules")
        for schedules_item_data in _schedules:
            schedules_item = ScheduleSummary.from_dict(schedules_item_data)

            schedules.append(schedules_item)

        def _parse_latest_run(data: object) -> None | RunSummary:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                latest_run_type_0 = RunSummary.from_dict(data)

                return latest_run_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RunSummary, data)

        latest_run = _parse_latest_run(d.pop("latest_run"))

        job_detail = cls(
            name=name,
            description=description,
            active=active,
            graph=graph,
            schedules=schedules,
            latest_run=latest_run,
        )

        return job_detail
