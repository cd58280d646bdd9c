from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.item_summary import ItemSummary


T = TypeVar("T", bound="QueuesPushResponse")


@_attrs_define
class QueuesPushResponse:
    """The items `accepted` (their ids), those `deduplicated` (each a new record and the
    earlier item it duplicates) and one message per item `rejected`.

        Attributes:
            accepted (list[str]):
            deduplicated (list[ItemSummary]):
            rejected (list[str]):
    """

    accepted: list[str]
    deduplicated: list[ItemSummary]
    rejected: list[str]

    def to_dict(self) -> dict[str, Any]:
        accepted = self.accepted

        deduplicated = []
        for deduplicated_item_data in self.deduplicated:
            deduplicated_item = deduplicated_item_data.to_dict()
            deduplicated.append(deduplicated_item)

        rejected = self.rejected

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "accepted": accepted,
                "deduplicated": deduplicated,
                "rejected": rejected,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.item_summary import ItemSummary  # noqa: PLC0415

        d = dict(src_dict)
        accepted = cast(list[str], d.pop("accepted"))

        deduplicated = []
        _deduplicated = d.pop("deduplicated")
        for deduplicated_item_data in _deduplicated:
            deduplicated_item = ItemSummary.from_dict(deduplicated_item_data)

            deduplicated.append(deduplicated_item)

        rejected = cast(list[str], d.pop("rejected"))

        queues_push_response = cls(
            accepted=accepted,
            deduplicated=deduplicated,
            rejected=rejected,
        )

        return queues_push_response
