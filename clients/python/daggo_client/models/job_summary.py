from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.run_summary import RunSummary
    from ..models.schedule_summary import ScheduleSummary


T = TypeVar("T", bound="JobSummary")


@_attrs_define
class JobSummary:
    """A job as lists show it: its ops by layer (an op comes after everything it reads),
    its schedules with their Enabled state, and its latest run.

        Attributes:
            name (str):
            description (str):
            op_count (int):
            layers (list[list[str]]):
            schedules (list[ScheduleSummary]):
            latest_run (None | RunSummary):
    """

    name: str
    description: str
    op_count: int
    layers: list[list[str]]
    schedules: list[ScheduleSummary]
    latest_run: None | RunSummary

    def to_dict(self) -> dict[str, Any]:
        from ..models.run_summary import RunSummary  # noqa: PLC0415

        name = self.name

        description = self.description

        op_count = self.op_count

        layers = []
        for layers_item_data in self.layers:
            layers_item = layers_item_data

            layers.append(layers_item)

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
                "op_count": op_count,
                "layers": layers,
                "schedules": schedules,
                "latest_run": latest_run,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.run_summary import RunSummary  # noqa: PLC0415
        from ..models.schedule_summary import ScheduleSummary  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        description = d.pop("description")

        op_count = d.pop("op_count")

        layers = []
        _layers = d.pop("layers")
        for layers_item_data in _layers:
            layers_item = cast(list[str], layers_item_data)

            layers.append(layers_item)

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

        job_summary = cls(
            name=name,
            description=description,
            op_count=op_count,
            layers=layers,
            schedules=schedules,
            latest_run=latest_run,
        )

        return job_summary
