from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.pool_summary import PoolSummary


T = TypeVar("T", bound="WorkersGetPoolsResponse")


@_attrs_define
class WorkersGetPoolsResponse:
    """Every pool, by name (pools are few: one per server, or per queue of workers).

    Attributes:
        pools (list[PoolSummary]):
        lost_after_seconds (float):
    """

    pools: list[PoolSummary]
    lost_after_seconds: float

    def to_dict(self) -> dict[str, Any]:
        pools = []
        for pools_item_data in self.pools:
            pools_item = pools_item_data.to_dict()
            pools.append(pools_item)

        lost_after_seconds = self.lost_after_seconds

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "pools": pools,
                "lost_after_seconds": lost_after_seconds,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.pool_summary import PoolSummary  # noqa: PLC0415

        d = dict(src_dict)
        pools = []
        _pools = d.pop("pools")
        for pools_item_data in _pools:
            pools_item = PoolSummary.from_dict(pools_item_data)

            pools.append(pools_item)

        lost_after_seconds = d.pop("lost_after_seconds")

        workers_get_pools_response = cls(
            pools=pools,
            lost_after_seconds=lost_after_seconds,
        )

        return workers_get_pools_response
