"""The stored description of an asset: its lineage, partitions, checks and automation."""

from __future__ import annotations

import enum
from typing import Any

from attrs import field, frozen

__all__ = ["AssetKind", "AssetSnapshot", "CheckOutcome", "CheckSnapshot"]


class AssetKind(enum.StrEnum):
    """How an asset is made: by an `@asset` (a job of its own), by an op of a job that
    declares it, or outside daggo (it is only observed)."""

    ASSET = "asset"
    OP = "op"
    EXTERNAL = "external"


class CheckOutcome(enum.StrEnum):
    """The result of an asset check."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


@frozen(kw_only=True)
class CheckSnapshot:
    """A check attached to an asset."""

    name: str
    description: str = ""
    blocking: bool = False


@frozen(kw_only=True)
class AssetSnapshot:
    """An asset as stored: who owns it, which assets it reads (`upstream`, their values)
    or only follows (`deps`), how it is partitioned (`partitions`, see
    `PartitionsDefinition.snapshot`), its checks and automation."""

    kind: AssetKind = AssetKind.ASSET
    owners: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    deps: tuple[str, ...] = ()
    output_type: str = ""
    partitions: dict[str, Any] | None = None
    partitions_description: str = ""
    max_partitions_per_run: int = 1
    checks: tuple[CheckSnapshot, ...] = ()
    automation_debounce_seconds: float | None = None
    tags: dict[str, str] = field(factory=dict)

    @property
    def all_upstream(self) -> tuple[str, ...]:
        """Every asset this one depends on, read or only followed, without repeats."""
        return tuple(dict.fromkeys((*self.upstream, *self.deps)))
