from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="WorkersGetDeployRequest")


@_attrs_define
class WorkersGetDeployRequest:
    """The deploy lock `lock` (default: this server's `deploy.lock_name`).

    Attributes:
        lock (None | str | Unset):
    """

    lock: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        lock: None | str | Unset
        if isinstance(self.lock, Unset):
            lock = UNSET
        else:
            lock = self.lock

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if lock is not UNSET:
            field_dict["lock"] = lock

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_lock(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        lock = _parse_lock(d.pop("lock", UNSET))

        workers_get_deploy_request = cls(
            lock=lock,
        )

        return workers_get_deploy_request
