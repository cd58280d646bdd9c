from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pool_summary import PoolSummary
    from ..models.worker_summary import WorkerSummary


T = TypeVar("T", bound="WorkersDrainResponse")


@_attrs_define
class WorkersDrainResponse:
    """The worker or the pool drained, as shown now (DRAINING until its registrant
    accepted, within a heartbeat interval, and its runs finished); neither when its row
    went meanwhile (the worker exited, or the pool's server stopped).

        Attributes:
            worker (None | Unset | WorkerSummary):
            pool (None | PoolSummary | Unset):
    """

    worker: None | Unset | WorkerSummary = UNSET
    pool: None | PoolSummary | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.pool_summary import PoolSummary  # noqa: PLC0415
        from ..models.worker_summary import WorkerSummary  # noqa: PLC0415

        worker: dict[str, Any] | None | Unset
        if isinstance(self.worker, Unset):
            worker = UNSET
        elif isinstance(self.worker, WorkerSummary):
            worker = self.worker.to_dict()
        else:
            worker = self.worker

        pool: dict[str, Any] | None | Unset
        if isinstance(self.pool, Unset):
            pool = UNSET
        elif isinstance(self.pool, PoolSummary):
            pool = self.pool.to_dict()
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
        from ..models.pool_summary import PoolSummary  # noqa: PLC0415
        from ..models.worker_summary import WorkerSummary  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_worker(data: object) -> None | Unset | WorkerSummary:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                worker_type_0 = WorkerSummary.from_dict(data)

                return worker_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | WorkerSummary, data)

        worker = _parse_worker(d.pop("worker", UNSET))

        def _parse_pool(data: object) -> None | PoolSummary | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                pool_type_0 = PoolSummary.from_dict(data)

                return pool_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PoolSummary | Unset, data)

        pool = _parse_pool(d.pop("pool", UNSET))

        workers_drain_response = cls(
            worker=worker,
            pool=pool,
        )

        return workers_drain_response
