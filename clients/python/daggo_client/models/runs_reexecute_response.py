from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.run_summary import RunSummary


T = TypeVar("T", bound="RunsReexecuteResponse")


@_attrs_define
class RunsReexecuteResponse:
    """
    Attributes:
        run (RunSummary): A run as lists show it: no params, outputs or tracebacks.
    """

    run: RunSummary

    def to_dict(self) -> dict[str, Any]:
        run = self.run.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "run": run,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.run_summary import RunSummary  # noqa: PLC0415

        d = dict(src_dict)
        run = RunSummary.from_dict(d.pop("run"))

        runs_reexecute_response = cls(
            run=run,
        )

        return runs_reexecute_response
