from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.deploy_state import DeployState

if TYPE_CHECKING:
    from ..models.deploy_status_runs_left import DeployStatusRunsLeft


T = TypeVar("T", bound="DeployStatus")


@_attrs_define
class DeployStatus:
    """A deploy lock: `version` claims (ACTIVE) or waits for the runs of other versions
    (DRAINING, since `draining_since`, until `deadline`); `runs_left` are the active runs
    claimed by other versions, by version ("unknown": claimed before versions were
    recorded); `handed_back` counts the runs handed back at the deadline.

        Attributes:
            lock (str):
            version (str):
            state (DeployState): Where a deploy lock is.
            previous_version (None | str):
            holder (str):
            draining_since (datetime.datetime):
            deadline (datetime.datetime):
            active_since (datetime.datetime | None):
            handed_back (int):
            runs_left (DeployStatusRunsLeft):
    """

    lock: str
    version: str
    state: DeployState
    previous_version: None | str
    holder: str
    draining_since: datetime.datetime
    deadline: datetime.datetime
    active_since: datetime.datetime | None
    handed_back: int
    runs_left: DeployStatusRunsLeft

    def to_dict(self) -> dict[str, Any]:
        lock = self.lock

        version = self.version

        state = self.state.value

        previous_version: None | str
        previous_version = self.previous_version

        holder = self.holder

        draining_since = self.draining_since.isoformat()

        deadline = self.deadline.isoformat()

        active_since: None | str
        if isinstance(self.active_since, datetime.datetime):
            active_since = self.active_since.isoformat()
        else:
            active_since = self.active_since

        handed_back = self.handed_back

        runs_left = self.runs_left.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "lock": lock,
                "version": version,
                "state": state,
                "previous_version": previous_version,
                "holder": holder,
                "draining_since": draining_since,
                "deadline": deadline,
                "active_since": active_since,
                "handed_back": handed_back,
                "runs_left": runs_left,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.deploy_status_runs_left import DeployStatusRunsLeft  # noqa: PLC0415

        d = dict(src_dict)
        lock = d.pop("lock")

        version = d.pop("version")

        state = DeployState(d.pop("state"))

        def _parse_previous_version(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        previous_version = _parse_previous_version(d.pop("previous_version"))

        holder = d.pop("holder")

        draining_since = datetime.datetime.fromisoformat(d.pop("draining_since"))

        deadline = datetime.datetime.fromisoformat(d.pop("deadline"))

        def _parse_active_since(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                active_since_type_0 = datetime.datetime.fromisoformat(data)

                return active_since_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        active_since = _parse_active_since(d.pop("active_since"))

        handed_back = d.pop("handed_back")

        runs_left = DeployStatusRunsLeft.from_dict(d.pop("runs_left"))

        deploy_status = cls(
            lock=lock,
            version=version,
            state=state,
            previous_version=previous_version,
            holder=holder,
            draining_since=draining_since,
            deadline=deadline,
            active_since=active_since,
            handed_back=handed_back,
            runs_left=runs_left,
        )

        return deploy_status
