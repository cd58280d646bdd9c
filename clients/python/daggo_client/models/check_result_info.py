from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.check_outcome import CheckOutcome

if TYPE_CHECKING:
    from ..models.check_result_info_metadata import CheckResultInfoMetadata


T = TypeVar("T", bound="CheckResultInfo")


@_attrs_define
class CheckResultInfo:
    """One result of an asset check.

    Attributes:
        check_name (str):
        outcome (CheckOutcome): The result of an asset check.
        description (str):
        metadata (CheckResultInfoMetadata):
        partition_key (None | str):
        run_id (None | str):
        timestamp (datetime.datetime):
    """

    check_name: str
    outcome: CheckOutcome
    description: str
    metadata: CheckResultInfoMetadata
    partition_key: None | str
    run_id: None | str
    timestamp: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        check_name = self.check_name

        outcome = self.outcome.value

        description = self.description

        metadata = self.metadata.to_dict()

        partition_key: None | str
        partition_key = self.partition_key

        run_id: None | str
        run_id = self.run_id

        timestamp = self.timestamp.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "check_name": check_name,
                "outcome": outcome,
                "description": description,
                "metadata": metadata,
                "partition_key": partition_key,
                "run_id": run_id,
                "timestamp": timestamp,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.check_result_info_metadata import CheckResultInfoMetadata  # noqa: PLC0415

        d = dict(src_dict)
        check_name = d.pop("check_name")

        outcome = CheckOutcome(d.pop("outcome"))

        description = d.pop("description")

        metadata = CheckResultInfoMetadata.from_dict(d.pop("metadata"))

        def _parse_partition_key(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        partition_key = _parse_partition_key(d.pop("partition_key"))

        def _parse_run_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        run_id = _parse_run_id(d.pop("run_id"))

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        check_result_info = cls(
            check_name=check_name,
            outcome=outcome,
            description=description,
            metadata=metadata,
            partition_key=partition_key,
            run_id=run_id,
            timestamp=timestamp,
        )

        return check_result_info
