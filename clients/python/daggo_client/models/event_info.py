from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.event_kind import EventKind

if TYPE_CHECKING:
    from ..models.event_info_data import EventInfoData


T = TypeVar("T", bound="EventInfo")


@_attrs_define
class EventInfo:
    """One entry of a run's event log.

    Attributes:
        id (int):
        kind (EventKind): Enum where members are also (and must be) strings
        step_key (None | str):
        timestamp (datetime.datetime):
        level (None | str):
        message (str):
        data (EventInfoData):
    """

    id: int
    kind: EventKind
    step_key: None | str
    timestamp: datetime.datetime
    level: None | str
    message: str
    data: EventInfoData

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        kind = self.kind.value

        step_key: None | str
        step_key = self.step_key

        timestamp = self.timestamp.isoformat()

        level: None | str
        level = self.level

        message = self.message

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "kind": kind,
                "step_key": step_key,
                "timestamp": timestamp,
                "level": level,
                "message": message,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.event_info_data import EventInfoData  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        kind = EventKind(d.pop("kind"))

        def _parse_step_key(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        step_key = _parse_step_key(d.pop("step_key"))

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        def _parse_level(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        level = _parse_level(d.pop("level"))

        message = d.pop("message")

        data = EventInfoData.from_dict(d.pop("data"))

        event_info = cls(
            id=id,
            kind=kind,
            step_key=step_key,
            timestamp=timestamp,
            level=level,
            message=message,
            data=data,
        )

        return event_info
