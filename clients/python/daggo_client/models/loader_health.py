from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="LoaderHealth")


@_attrs_define
class LoaderHealth:
    """A queue loader's health: `healthy` unless its last poll failed; `failures` in a
    row; `lag` is what it last said its source still holds; `loaded` counts the items
    it delivered.

        Attributes:
            mode (str):
            poll_every_seconds (float | None):
            healthy (bool):
            last_poll_at (datetime.datetime | None):
            last_success_at (datetime.datetime | None):
            last_error (None | str):
            last_error_at (datetime.datetime | None):
            failures (int):
            lag (int | None):
            loaded (int):
            cursor (None | str):
    """

    mode: str
    poll_every_seconds: float | None
    healthy: bool
    last_poll_at: datetime.datetime | None
    last_success_at: datetime.datetime | None
    last_error: None | str
    last_error_at: datetime.datetime | None
    failures: int
    lag: int | None
    loaded: int
    cursor: None | str

    def to_dict(self) -> dict[str, Any]:
        mode = self.mode

        poll_every_seconds: float | None
        poll_every_seconds = self.poll_every_seconds

        healthy = self.healthy

        last_poll_at: None | str
        if isinstance(self.last_poll_at, datetime.datetime):
            last_poll_at = self.last_poll_at.isoformat()
        else:
            last_poll_at = self.last_poll_at

        last_success_at: None | str
        if isinstance(self.last_success_at, datetime.datetime):
            last_success_at = self.last_success_at.isoformat()
        else:
            last_success_at = self.last_success_at

        last_error: None | str
        last_error = self.last_error

        last_error_at: None | str
        if isinstance(self.last_error_at, datetime.datetime):
            last_error_at = self.last_error_at.isoformat()
        else:
            last_error_at = self.last_error_at

        failures = self.failures

        lag: int | None
        lag = self.lag

        loaded = self.loaded

        cursor: None | str
        cursor = self.cursor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "mode": mode,
                "poll_every_seconds": poll_every_seconds,
                "healthy": healthy,
                "last_poll_at": last_poll_at,
                "last_success_at": last_success_at,
                "last_error": last_error,
                "last_error_at": last_error_at,
                "failures": failures,
                "lag": lag,
                "loaded": loaded,
                "cursor": cursor,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        mode = d.pop("mode")

        def _parse_poll_every_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        poll_every_seconds = _parse_poll_every_seconds(d.pop("poll_every_seconds"))

        healthy = d.pop("healthy")

        def _parse_last_poll_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_poll_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_poll_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_poll_at = _parse_last_poll_at(d.pop("last_poll_at"))

        def _parse_last_success_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_success_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_success_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_success_at = _parse_last_success_at(d.pop("last_success_at"))

        def _parse_last_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_error = _parse_last_error(d.pop("last_error"))

        def _parse_last_error_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_error_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_error_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_error_at = _parse_last_error_at(d.pop("last_error_at"))

        failures = d.pop("failures")

        def _parse_lag(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        lag = _parse_lag(d.pop("lag"))

        loaded = d.pop("loaded")

        def _parse_cursor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        cursor = _parse_cursor(d.pop("cursor"))

        loader_health = cls(
            mode=mode,
            poll_every_seconds=poll_every_seconds,
            healthy=healthy,
            last_poll_at=last_poll_at,
            last_success_at=last_success_at,
            last_error=last_error,
            last_error_at=last_error_at,
            failures=failures,
            lag=lag,
            loaded=loaded,
            cursor=cursor,
        )

        return loader_health
