from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.run_status import RunStatus

if TYPE_CHECKING:
    from ..models.event_info import EventInfo


T = TypeVar("T", bound="RunsEventsResponse")


@_attrs_define
class RunsEventsResponse:
    """A page of events, oldest first. `next_cursor` continues after it (also once the log
    has no more lines yet, to follow a running run); `has_later` says whether later
    events are stored already. `previous_cursor` pages back to the events before it, None
    when there are none. `run_status` is the run's status when read.

        Attributes:
            events (list[EventInfo]):
            next_cursor (str):
            previous_cursor (None | str):
            has_later (bool):
            run_status (RunStatus): Enum where members are also (and must be) strings
    """

    events: list[EventInfo]
    next_cursor: str
    previous_cursor: None | str
    has_later: bool
    run_status: RunStatus

    def to_dict(self) -> dict[str, Any]:
        events = []
        for events_item_data in self.events:
            events_item = events_item_data.to_dict()
            events.append(events_item)

        next_cursor = self.next_cursor

        previous_cursor: None | str
        previous_cursor = self.previous_cursor

        has_later = self.has_later

        run_status = self.run_status.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "events": events,
                "next_cursor": next_cursor,
                "previous_cursor": previous_cursor,
                "has_later": has_later,
                "run_status": run_status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.event_info import EventInfo  # noqa: PLC0415

        d = dict(src_dict)
        events = []
        _events = d.pop("events")
        for events_item_data in _events:
            events_item = EventInfo.from_dict(events_item_data)

            events.append(events_item)

        next_cursor = d.pop("next_cursor")

        def _parse_previous_cursor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        previous_cursor = _parse_previous_cursor(d.pop("previous_cursor"))

        has_later = d.pop("has_later")

        run_status = RunStatus(d.pop("run_status"))

        runs_events_response = cls(
            events=events,
            next_cursor=next_cursor,
            previous_cursor=previous_cursor,
            has_later=has_later,
            run_status=run_status,
        )

        return runs_events_response
