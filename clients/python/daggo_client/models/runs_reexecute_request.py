from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="RunsReexecuteRequest")


@_attrs_define
class RunsReexecuteRequest:
    """Re-execute a finished run: from its failed steps, or from step `from_step` (that
    step and everything downstream run again; the rest reuse stored outputs).

        Attributes:
            run_id (str):
            from_step (None | str | Unset):
    """

    run_id: str
    from_step: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        run_id = self.run_id

        from_step: None | str | Unset
        if isinstance(self.from_step, Unset):
            from_step = UNSET
        else:
            from_step = self.from_step

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "run_id": run_id,
            }
        )
        if from_step is not UNSET:
            field_dict["from_step"] = from_step

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        run_id = d.pop("run_id")

        def _parse_from_step(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        from_step = _parse_from_step(d.pop("from_step", UNSET))

        runs_reexecute_request = cls(
            run_id=run_id,
            from_step=from_step,
        )

        return runs_reexecute_request
