from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.catch_up import CatchUp
from ..models.overlap import Overlap
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.schedule_snapshot_tags import ScheduleSnapshotTags


T = TypeVar("T", bound="ScheduleSnapshot")


@_attrs_define
class ScheduleSnapshot:
    """A schedule declared on the job, with the policies that decide its ticks.

    Attributes:
        key (str):
        cron (str):
        timezone (str | Unset):  Default: 'UTC'.
        enabled (bool | Unset):  Default: True.
        catch_up (CatchUp | Unset): Which ticks missed while no scheduler was running are launched afterwards.
        catch_up_window_seconds (float | Unset):  Default: 86400.0.
        overlap (Overlap | Unset): What a tick does while the schedule's previous run is still queued or running.
        pause_after_failures (int | None | Unset):
        tags (ScheduleSnapshotTags | Unset):
    """

    key: str
    cron: str
    timezone: str | Unset = "UTC"
    enabled: bool | Unset = True
    catch_up: CatchUp | Unset = UNSET
    catch_up_window_seconds: float | Unset = 86400.0
    overlap: Overlap | Unset = UNSET
    pause_after_failures: int | None | Unset = UNSET
    tags: ScheduleSnapshotTags | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        cron = self.cron

        timezone = self.timezone

        enabled = self.enabled

        catch_up: str | Unset = UNSET
        if not isinstance(self.catch_up, Unset):
            catch_up = self.catch_up.value

        catch_up_window_seconds = self.catch_up_window_seconds

        overlap: str | Unset = UNSET
        if not isinstance(self.overlap, Unset):
            overlap = self.overlap.value

        pause_after_failures: int | None | Unset
        if isinstance(self.pause_after_failures, Unset):
            pause_after_failures = UNSET
        else:
            pause_after_failures = self.pause_after_failures

        tags: dict[str, Any] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "key": key,
                "cron": cron,
            }
        )
        if timezone is not UNSET:
            field_dict["timezone"] = timezone
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if catch_up is not UNSET:
            field_dict["catch_up"] = catch_up
        if catch_up_window_seconds is not UNSET:
            field_dict["catch_up_window_seconds"] = catch_up_window_seconds
        if overlap is not UNSET:
            field_dict["overlap"] = overlap
        if pause_after_failures is not UNSET:
            field_dict["pause_after_failures"] = pause_after_failures
        if tags is not UNSET:
            field_dict["tags"] = tags

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.schedule_snapshot_tags import ScheduleSnapshotTags  # noqa: PLC0415

        d = dict(src_dict)
        key = d.pop("key")

        cron = d.pop("cron")

        timezone = d.pop("timezone", UNSET)

        enabled = d.pop("enabled", UNSET)

        _catch_up = d.pop("catch_up", UNSET)
        catch_up: CatchUp | Unset
        if isinstance(_catch_up, Unset):
            catch_up = UNSET
        else:
            catch_up = CatchUp(_catch_up)

        catch_up_window_seconds = d.pop("catch_up_window_seconds", UNSET)

        _overlap = d.pop("overlap", UNSET)
        overlap: Overlap | Unset
        if isinstance(_overlap, Unset):
            overlap = UNSET
        else:
            overlap = Overlap(_overlap)

        def _parse_pause_after_failures(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        pause_after_failures = _parse_pause_after_failures(d.pop("pause_after_failures", UNSET))

        _tags = d.pop("tags", UNSET)
        tags: ScheduleSnapshotTags | Unset
        if isinstance(_tags, Unset):
            tags = UNSET
        else:
            tags = ScheduleSnapshotTags.from_dict(_tags)

        schedule_snapshot = cls(
            key=key,
            cron=cron,
            timezone=timezone,
            enabled=enabled,
            catch_up=catch_up,
            catch_up_window_seconds=catch_up_window_seconds,
            overlap=overlap,
            pause_after_failures=pause_after_failures,
            tags=tags,
        )

        return schedule_snapshot
