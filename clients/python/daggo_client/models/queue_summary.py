from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.loader_health import LoaderHealth
    from ..models.queue_summary_counts import QueueSummaryCounts


T = TypeVar("T", bound="QueueSummary")


@_attrs_define
class QueueSummary:
    """A queue: its items by status, how many are dead-lettered, and its loader.

    Attributes:
        name (str):
        description (str):
        active (bool):
        jobs (list[str]):
        routes (list[str]):
        payload_type (str):
        counts (QueueSummaryCounts):
        dead_lettered (int):
        loader (LoaderHealth | None):
    """

    name: str
    description: str
    active: bool
    jobs: list[str]
    routes: list[str]
    payload_type: str
    counts: QueueSummaryCounts
    dead_lettered: int
    loader: LoaderHealth | None

    def to_dict(self) -> dict[str, Any]:
        from ..models.loader_health import LoaderHealth  # noqa: PLC0415

        name = self.name

        description = self.description

        active = self.active

        jobs = self.jobs

        routes = self.routes

        payload_type = self.payload_type

        counts = self.counts.to_dict()

        dead_lettered = self.dead_lettered

        loader: dict[str, Any] | None
        if isinstance(self.loader, LoaderHealth):
            loader = self.loader.to_dict()
        else:
            loader = self.loader

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "description": description,
                "active": active,
                "jobs": jobs,
                "routes": routes,
                "payload_type": payload_type,
                "counts": counts,
                "dead_lettered": dead_lettered,
                "loader": loader,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.loader_health import LoaderHealth  # noqa: PLC0415
        from ..models.queue_summary_counts import QueueSummaryCounts  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        description = d.pop("description")

        active = d.pop("active")

        jobs = cast(list[str], d.pop("jobs"))

        routes = cast(list[str], d.pop("routes"))

        payload_type = d.pop("payload_type")

        counts = QueueSummaryCounts.from_dict(d.pop("counts"))

        dead_lettered = d.pop("dead_lettered")

        def _parse_loader(data: object) -> LoaderHealth | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                loader_type_0 = LoaderHealth.from_dict(data)

                return loader_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(LoaderHealth | None, data)

        loader = _parse_loader(d.pop("loader"))

        queue_summary = cls(
            name=name,
            description=description,
            active=active,
            jobs=jobs,
            routes=routes,
            payload_type=payload_type,
            counts=counts,
            dead_lettered=dead_lettered,
            loader=loader,
        )

        return queue_summary
