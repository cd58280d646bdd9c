from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.run_status import RunStatus

T = TypeVar("T", bound="BackfillRunInfo")


@_attrs_define
class BackfillRunInfo:
    """One planned run of a backfill: its key (or range), and its run once created.

    Attributes:
        seq (int):
        partition_key (str):
        run_id (None | str):
        run_status (None | RunStatus):
    """

    seq: int
    partition_key: str
    run_id: None | str
    run_status: None | RunStatus

    def to_dict(self) -> dict[str, Any]:
        seq = self.seq

        partition_key = self.partition_key

        run_id: None | str
        run_id = self.run_id

        run_status: None | str
        if isinstance(self.run_status, RunStatus):
            run_status = self.run_status.value
        else:
            run_status = self.run_status

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "seq": seq,
                "partition_key": partition_key,
                "run_id": run_id,
                "run_status": run_status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        seq = d.pop("seq")

        partition_key = d.pop("partition_key")

        def _parse_run_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        run_id = _parse_run_id(d.pop("run_id"))

        def _parse_run_status(data: object) -> None | RunStatus:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                run_status_type_0 = RunStatus(data)

                return run_status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RunStatus, data)

        run_status = _parse_run_status(d.pop("run_status"))

        backfill_run_info = cls(
            seq=seq,
            partition_key=partition_key,
            run_id=run_id,
            run_status=run_status,
        )

        return backfill_run_info
