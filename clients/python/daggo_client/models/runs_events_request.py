from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.event_kind import EventKind
from ..types import UNSET, Unset

T = TypeVar("T", bound="RunsEventsRequest")


@_attrs_define
class RunsEventsRequest:
    """A page of a run's event log, oldest first: from the log's start, from `cursor` (a
    page's `next_cursor` or `previous_cursor`), or with `tail` the newest `limit` events;
    optionally one step's, some kinds, some levels, or lines containing `search`
    (ignoring case).

        Attributes:
            run_id (str):
            cursor (None | str | Unset):
            tail (bool | Unset):  Default: False.
            limit (int | Unset):  Default: 1000.
            step_key (None | str | Unset):
            kinds (list[EventKind] | Unset):
            levels (list[str] | Unset):
            search (None | str | Unset):
    """

    run_id: str
    cursor: None | str | Unset = UNSET
    tail: bool | Unset = False
    limit: int | Unset = 1000
    step_key: None | str | Unset = UNSET
    kinds: list[EventKind] | Unset = UNSET
    levels: list[str] | Unset = UNSET
    search: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        run_id = self.run_id

        cursor: None | str | Unset
        if isinstance(self.cursor, Unset):
            cursor = UNSET
        else:
            cursor = self.cursor

        tail = self.tail

        limit = self.limit

        step_key: None | str | Unset
        if isinstance(self.step_key, Unset):
            step_key = UNSET
        else:
            step_key = self.step_key

        kinds: list[str] | Unset = UNSET
        if not isinstance(self.kinds, Unset):
            kinds = []
            for kinds_item_data in self.kinds:
                kinds_item = kinds_item_data.value
                kinds.append(kinds_item)

        levels: list[str] | Unset = UNSET
        if not isinstance(self.levels, Unset):
            levels = self.levels

        search: None | str | Unset
        if isinstance(self.search, Unset):
            search = UNSET
        else:
            search = self.search

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "run_id": run_id,
            }
        )
        if cursor is not UNSET:
            field_dict["cursor"] = cursor
        if tail is not UNSET:
            field_dict["tail"] = tail
        if limit is not UNSET:
            field_dict["limit"] = limit
        if step_key is not UNSET:
            field_dict["step_key"] = step_key
        if kinds is not UNSET:
            field_dict["kinds"] = kinds
        if levels is not UNSET:
            field_dict["levels"] = levels
        if search is not UNSET:
            field_dict["search"] = search

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        run_id = d.pop("run_id")

        def _parse_cursor(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        cursor = _parse_cursor(d.pop("cursor", UNSET))

        tail = d.pop("tail", UNSET)

        limit = d.pop("limit", UNSET)

        def _parse_step_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        step_key = _parse_step_key(d.pop("step_key", UNSET))

        _kinds = d.pop("kinds", UNSET)
        kinds: list[EventKind] | Unset = UNSET
        if _kinds is not UNSET:
            kinds = []
            for kinds_item_data in _kinds:
                kinds_item = EventKind(kinds_item_data)

                kinds.append(kinds_item)

        levels = cast(list[str], d.pop("levels", UNSET))

        def _parse_search(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        search = _parse_search(d.pop("search", UNSET))

        runs_events_request = cls(
            run_id=run_id,
            cursor=cursor,
            tail=tail,
            limit=limit,
            step_key=step_key,
            kinds=kinds,
            levels=levels,
            search=search,
        )

        return runs_events_request
