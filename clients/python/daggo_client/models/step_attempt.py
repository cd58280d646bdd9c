from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.step_status import StepStatus

T = TypeVar("T", bound="StepAttempt")


@_attrs_define
class StepAttempt:
    """One call of a step's op: RUNNING with no `finished_at` while it runs; `error` is
    "Type: message" for a failed one.

        Attributes:
            attempt (int):
            status (StepStatus): Enum where members are also (and must be) strings
            started_at (datetime.datetime):
            finished_at (datetime.datetime | None):
            error (None | str):
    """

    attempt: int
    status: StepStatus
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    error: None | str

    def to_dict(self) -> dict[str, Any]:
        attempt = self.attempt

        status = self.status.value

        started_at = self.started_at.isoformat()

        finished_at: None | str
        if isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        error: None | str
        error = self.error

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "attempt": attempt,
                "status": status,
                "started_at": started_at,
                "finished_at": finished_at,
                "error": error,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        attempt = d.pop("attempt")

        status = StepStatus(d.pop("status"))

        started_at = datetime.datetime.fromisoformat(d.pop("started_at"))

        def _parse_finished_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        finished_at = _parse_finished_at(d.pop("finished_at"))

        def _parse_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error = _parse_error(d.pop("error"))

        step_attempt = cls(
            attempt=attempt,
            status=status,
            started_at=started_at,
            finished_at=finished_at,
            error=error,
        )

        return step_attempt
