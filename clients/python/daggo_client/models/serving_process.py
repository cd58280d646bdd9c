from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="ServingProcess")


@_attrs_define
class ServingProcess:
    """The process that answered: its `pid` and `role`: "primary" (it runs the
    runtime), "web" (one of the other processes of `admin.processes`, which answer
    requests with the primary's runtime) or "none" (no server runs in it).

        Attributes:
            pid (int):
            role (str):
    """

    pid: int
    role: str

    def to_dict(self) -> dict[str, Any]:
        pid = self.pid

        role = self.role

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "pid": pid,
                "role": role,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        pid = d.pop("pid")

        role = d.pop("role")

        serving_process = cls(
            pid=pid,
            role=role,
        )

        return serving_process
