from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="QueueItemsReplayResponse")


@_attrs_define
class QueueItemsReplayResponse:
    """The ids of the items replayed, and how many matched but had nothing to re-run
    (or were retried meanwhile).

        Attributes:
            replayed (list[str]):
            skipped (int):
    """

    replayed: list[str]
    skipped: int

    def to_dict(self) -> dict[str, Any]:
        replayed = self.replayed

        skipped = self.skipped

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "replayed": replayed,
                "skipped": skipped,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        replayed = cast(list[str], d.pop("replayed"))

        skipped = d.pop("skipped")

        queue_items_replay_response = cls(
            replayed=replayed,
            skipped=skipped,
        )

        return queue_items_replay_response
