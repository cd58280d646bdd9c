from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.step_status import StepStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.error_info import ErrorInfo
    from ..models.step_attempt import StepAttempt
    from ..models.step_info_metadata import StepInfoMetadata


T = TypeVar("T", bound="StepInfo")


@_attrs_define
class StepInfo:
    """One step of a run: PENDING with no times until it starts; its `attempts` oldest
    first, the `metadata` its op recorded, and `output_preview`, its stored output as JSON
    text cut to a bounded length (None without one).

        Attributes:
            key (str):
            status (StepStatus): Enum where members are also (and must be) strings
            attempt (int):
            started_at (datetime.datetime | None):
            finished_at (datetime.datetime | None):
            duration_seconds (float | None):
            error (ErrorInfo | None):
            attempts (list[StepAttempt] | Unset):
            metadata (StepInfoMetadata | Unset):
            output_preview (None | str | Unset):
    """

    key: str
    status: StepStatus
    attempt: int
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    duration_seconds: float | None
    error: ErrorInfo | None
    attempts: list[StepAttempt] | Unset = UNSET
    metadata: StepInfoMetadata | Unset = UNSET
    output_preview: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.error_info import ErrorInfo  # noqa: PLC0415

        key = self.key

        status = self.status.value

        attempt = self.attempt

        started_at: None | str
        if isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        finished_at: None | str
        if isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        duration_seconds: float | None
        duration_seconds = self.duration_seconds

        error: dict[str, Any] | None
        if isinstance(self.error, ErrorInfo):
            error = self.error.to_dict()
        else:
            error = self.error

        attempts: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.attempts, Unset):
            attempts = []
            for attempts_item_data in self.attempts:
                attempts_item = attempts_item_data.to_dict()
                attempts.append(attempts_item)

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        output_preview: None | str | Unset
        if isinstance(self.output_preview, Unset):
            output_preview = UNSET
        else:
            output_preview = self.output_preview

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "key": key,
                "status": status,
                "attempt": attempt,
                "started_at": started_at,
                "finished_at": finished_at,
                "duration_seconds": duration_seconds,
                "error": error,
            }
        )
        if attempts is not UNSET:
            field_dict["attempts"] = attempts
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if output_preview is not UNSET:
            field_dict["output_preview"] = output_preview

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.error_info import ErrorInfo  # noqa: PLC0415
        from ..models.step_attempt import StepAttempt  # noqa: PLC0415
        from ..models.step_info_metadata import StepInfoMetadata  # noqa: PLC0415

        d = dict(src_dict)
        key = d.pop("key")

        status = StepStatus(d.pop("status"))

        attempt = d.pop("attempt")

        def _parse_started_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)

                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        started_at = _parse_started_at(d.pop("started_at"))

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

        def _parse_duration_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        duration_seconds = _parse_duration_seconds(d.pop("duration_seconds"))

        def _parse_error(data: object) -> ErrorInfo | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                error_type_0 = ErrorInfo.from_dict(data)

                return error_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ErrorInfo | None, data)

        error = _parse_error(d.pop("error"))

        _attempts = d.pop("attempts", UNSET)
        attempts: list[StepAttempt] | Unset = UNSET
        if _attempts is not UNSET:
            attempts = []
            for attempts_item_data in _attempts:
                attempts_item = StepAttempt.from_dict(attempts_item_data)

                attempts.append(attempts_item)

        _metadata = d.pop("metadata", UNSET)
        metadata: StepInfoMetadata | Unset
        if isinstance(_metadata, Unset):
            metadata = UNSET
        else:
            metadata = StepInfoMetadata.from_dict(_metadata)

        def _parse_output_preview(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        output_preview = _parse_output_preview(d.pop("output_preview", UNSET))

        step_info = cls(
            key=key,
            status=status,
            attempt=attempt,
            started_at=started_at,
            finished_at=finished_at,
            duration_seconds=duration_seconds,
            error=error,
            attempts=attempts,
            metadata=metadata,
            output_preview=output_preview,
        )

        return step_info
