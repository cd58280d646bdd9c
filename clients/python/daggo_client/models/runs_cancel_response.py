from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.cancel_outcome import CancelOutcome

if TYPE_CHECKING:
    from ..models.run_summary import RunSummary


T = TypeVar("T", bound="RunsCancelResponse")


@_attrs_define
class RunsCancelResponse:
    """The run after the request; `outcome` is "canceled" (it had not started),
    "requested" (its worker stops it) or "already_finished". For a requested cancel,
    `ends_within_seconds` is how long the run may take to end, from the settings;
    `message` says what happened and what happens next, for people.

        Attributes:
            run (RunSummary): A run as lists show it: no params, outputs or tracebacks.
            outcome (CancelOutcome): What a cancel request did.
            ends_within_seconds (float | None):
            message (str):
    """

    run: RunSummary
    outcome: CancelOutcome
    ends_within_seconds: float | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        run = self.run.to_dict()

        outcome = self.outcome.value

        ends_within_seconds: float | None
        ends_within_seconds = self.ends_within_seconds

        message = self.message

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "run": run,
                "outcome": outcome,
                "ends_within_seconds": ends_within_seconds,
                "message": message,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.run_summary import RunSummary  # noqa: PLC0415

        d = dict(src_dict)
        run = RunSummary.from_dict(d.pop("run"))

        outcome = CancelOutcome(d.pop("outcome"))

        def _parse_ends_within_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        ends_within_seconds = _parse_ends_within_seconds(d.pop("ends_within_seconds"))

        message = d.pop("message")

        runs_cancel_response = cls(
            run=run,
            outcome=outcome,
            ends_within_seconds=ends_within_seconds,
            message=message,
        )

        return runs_cancel_response
