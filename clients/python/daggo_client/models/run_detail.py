from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.error_info import ErrorInfo
    from ..models.run_detail_params import RunDetailParams
    from ..models.run_summary import RunSummary
    from ..models.step_info import StepInfo


T = TypeVar("T", bound="RunDetail")


@_attrs_define
class RunDetail:
    """One run: its summary, params, error with traceback, worker, every step of its job
    in the job's order (those not started yet as PENDING), and `log_notice`: how much of
    a finished run's captured output was dropped over its cap (else None).

        Attributes:
            run (RunSummary): A run as lists show it: no params, outputs or tracebacks.
            params (RunDetailParams):
            error (ErrorInfo | None):
            worker_id (None | str):
            heartbeat_at (datetime.datetime | None):
            steps (list[StepInfo]):
            log_notice (None | str):
    """

    run: RunSummary
    params: RunDetailParams
    error: ErrorInfo | None
    worker_id: None | str
    heartbeat_at: datetime.datetime | None
    steps: list[StepInfo]
    log_notice: None | str

    def to_dict(self) -> dict[str, Any]:
        from ..models.error_info import ErrorInfo  # noqa: PLC0415

        run = self.run.to_dict()

        params = self.params.to_dict()

        error: dict[str, Any] | None
        if isinstance(self.error, ErrorInfo):
            error = self.error.to_dict()
        else:
            error = self.error

        worker_id: None | str
        worker_id = self.worker_id

        heartbeat_at: None | str
        if isinstance(self.heartbeat_at, datetime.datetime):
            heartbeat_at = self.heartbeat_at.isoformat()
        else:
            heartbeat_at = self.heartbeat_at

        steps = []
        for steps_item_data in self.steps:
            steps_item = steps_item_data.to_dict()
            steps.append(steps_item)

        log_notice: None | str
        log_notice = self.log_notice

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "run": run,
                "params": params,
                "error": error,
                "worker_id": worker_id,
                "heartbeat_at": heartbeat_at,
                "steps": steps,
                "log_notice": log_notice,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.error_info import ErrorInfo  # noqa: PLC0415
        from ..models.run_detail_params import RunDetailParams  # noqa: PLC0415
        from ..models.run_summary import RunSummary  # noqa: PLC0415
        from ..models.step_info import StepInfo  # noqa: PLC0415

        d = dict(src_dict)
        run = RunSummary.from_dict(d.pop("run"))

        params = RunDetailParams.from_dict(d.pop("params"))

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

        def _parse_worker_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        worker_id = _parse_worker_id(d.pop("worker_id"))

        def _parse_heartbeat_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                heartbeat_at_type_0 = datetime.datetime.fromisoformat(data)

                return heartbeat_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        heartbeat_at = _parse_heartbeat_at(d.pop("heartbeat_at"))

        steps = []
        _steps = d.pop("steps")
        for steps_item_data in _steps:
            steps_item = StepInfo.from_dict(steps_item_data)

            steps.append(steps_item)

        def _parse_log_notice(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        log_notice = _parse_log_notice(d.pop("log_notice"))

        run_detail = cls(
            run=run,
            params=params,
            error=error,
            worker_id=worker_id,
            heartbeat_at=heartbeat_at,
            steps=steps,
            log_notice=log_notice,
        )

        return run_detail
