from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="WorkersResumeRequest")


@_attrs_define
class WorkersResumeRequest:
    """Resume a drained (or draining) worker or pool: it takes runs again. Name one.

    Attributes:
        worker (None | str | Unset):
        pool (None | str | Unset):
    """

    worker: None | str | Unset = UNSET
    pool: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        worker: None | str | Unset
        if isinstance(self.worker, Unset):
            worker = UNSET
        else:
            worker = self.worker

        pool: None | str | Unset
        if isinstance(self.pool, Unset):
            pool = UNSET
        else:
            pool = self.pool

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if worker is not UNSET:
            field_dict["worker"] = worker
        if pool is not UNSET:
            field_dict["pool"] = pool

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_worker(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        worker = _parse_worker(d.pop("worker", UNSET))

        def _parse_pool(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        pool = _parse_pool(d.pop("pool", UNSET))

        workers_resume_request = cls(
            worker=worker,
            pool=pool,
        )

        return workers_resume_request
