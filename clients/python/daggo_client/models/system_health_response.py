from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.serving_process import ServingProcess
    from ..models.system_health_response_components import SystemHealthResponseComponents
    from ..models.system_health_response_problems import SystemHealthResponseProblems


T = TypeVar("T", bound="SystemHealthResponse")


@_attrs_define
class SystemHealthResponse:
    """`status` is "ok" when the database answers and no runtime component stopped or
    fails; `components` names each component of the server's runtime and its state
    ("running", "disabled", "not started", "stopped" or "failing"; in a web process also
    "primary", "stopped" when the primary does not answer), `problems` says why each
    failing one fails (the executor, when its workers keep failing to start); `process`
    is the process that answered.

        Attributes:
            status (str):
            database (str):
            process (ServingProcess): The process that answered: its `pid` and `role`: "primary" (it runs the
                runtime), "web" (one of the other processes of `admin.processes`, which answer
                requests with the primary's runtime) or "none" (no server runs in it).
            components (SystemHealthResponseComponents | Unset):
            problems (SystemHealthResponseProblems | Unset):
    """

    status: str
    database: str
    process: ServingProcess
    components: SystemHealthResponseComponents | Unset = UNSET
    problems: SystemHealthResponseProblems | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        status = self.status

        database = self.database

        process = self.process.to_dict()

        components: dict[str, Any] | Unset = UNSET
        if not isinstance(self.components, Unset):
            components = self.components.to_dict()

        problems: dict[str, Any] | Unset = UNSET
        if not isinstance(self.problems, Unset):
            problems = self.problems.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "status": status,
                "database": database,
                "process": process,
            }
        )
        if components is not UNSET:
            field_dict["components"] = components
        if problems is not UNSET:
            field_dict["problems"] = problems

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.serving_process import ServingProcess  # noqa: PLC0415
        from ..models.system_health_response_components import SystemHealthResponseComponents  # noqa: PLC0415
        from ..models.system_health_response_problems import SystemHealthResponseProblems  # noqa: PLC0415

        d = dict(src_dict)
        status = d.pop("status")

        database = d.pop("database")

        process = ServingProcess.from_dict(d.pop("process"))

        _components = d.pop("components", UNSET)
        components: SystemHealthResponseComponents | Unset
        if isinstance(_components, Unset):
            components = UNSET
        else:
            components = SystemHealthResponseComponents.from_dict(_components)

        _problems = d.pop("problems", UNSET)
        problems: SystemHealthResponseProblems | Unset
        if isinstance(_problems, Unset):
            problems = UNSET
        else:
            problems = SystemHealthResponseProblems.from_dict(_problems)

        system_health_response = cls(
            status=status,
            database=database,
            process=process,
            components=components,
            problems=problems,
        )

        return system_health_response
