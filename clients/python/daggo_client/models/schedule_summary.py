from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.catch_up import CatchUp
from ..models.overlap import Overlap

T = TypeVar("T", bound="ScheduleSummary")


@_attrs_define
class ScheduleSummary:
    """A schedule with its effective Enabled state and where its ticks stand.

    Attributes:
        job_name (str):
        key (str):
        cron (str):
        timezone (str):
        enabled (bool):
        enabled_in_code (bool):
        enabled_override (bool | None):
        overlap (Overlap): What a tick does while the schedule's previous run is still queued or running.
        catch_up (CatchUp): Which ticks missed while no scheduler was running are launched afterwards.
        pause_after_failures (int | None):
        last_tick_at (datetime.datetime | None):
        next_tick_at (datetime.datetime | None):
    """

    job_name: str
    key: str
    cron: str
    timezone: str
    enabled: bool
    enabled_in_code: bool
    enabled_override: bool | None
    overlap: Overlap
    catch_up: CatchUp
    pause_after_failures: int | None
    last_tick_at: datetime.datetime | None
    next_tick_at: datetime.datetime | None

    def to_dict(self) -> dict[str, Any]:
        job_name = self.job_name

        key = self.key

        cron = self.cron

        timezone = self.timezone

        enabled = self.enabled

        enabled_in_code = self.enabled_in_code

        enabled_override: bool | None
        enabled_override = self.enabled_override

        overlap = self.overlap.value

        catch_up = self.catch_up.value

        pause_after_failures: int | None
        pause_after_failures = self.pause_after_failures

        last_tick_at: None | str
        if isinstance(self.last_tick_at, datetime.datetime):
            last_tick_at = self.last_tick_at.isoformat()
        else:
            last_tick_at = self.last_tick_at

        next_tick_at: None | str
        if isinstance(self.next_tick_at, datetime.datetime):
            next_tick_at = self.next_tick_at.isoformat()
        else:
            next_tick_at = self.next_tick_at

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "job_name": job_name,
                "key": key,
                "cron": cron,
                "timezone": timezone,
                "enabled": enabled,
                "enabled_in_code": enabled_in_code,
                "enabled_override": enabled_override,
                "overlap": overlap,
                "catch_up": catch_up,
                "pause_after_failures": pause_after_failures,
                "last_tick_at": last_tick_at,
                "next_tick_at": next_tick_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        job_name = d.pop("job_name")

        key = d.pop("key")

        cron = d.pop("cron")

        timezone = d.pop("timezone")

        enabled = d.pop("enabled")

        enabled_in_code = d.pop("enabled_in_code")

        def _parse_enabled_override(data: object) -> bool | None:
            if data is None:
                return data
            return cast(bool | None, data)

        enabled_override = _parse_enabled_override(d.pop("enabled_override"))

        overlap = Overlap(d.pop("overlap"))

        catch_up = CatchUp(d.pop("catch_up"))

        def _parse_pause_after_failures(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        pause_after_failures = _parse_pause_after_failures(d.pop("pause_after_failures"))

        def _parse_last_tick_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_tick_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_tick_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_tick_at = _parse_last_tick_at(d.pop("last_tick_at"))

        def _parse_next_tick_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_tick_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_tick_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        next_tick_at = _parse_next_tick_at(d.pop("next_tick_at"))

        schedule_summary = cls(
            job_name=job_name,
            key=key,
            cron=cron,
            timezone=timezone,
            enabled=enabled,
            enabled_in_code=enabled_in_code,
            enabled_override=enabled_override,
            overlap=overlap,
            catch_up=catch_up,
            pause_after_failures=pause_after_failures,
            last_tick_at=last_tick_at,
            next_tick_at=next_tick_at,
        )

        return schedule_summary
