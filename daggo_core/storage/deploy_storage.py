"""The storage interface of deploy locks: which deploy version may claim runs."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from daggo_core.storage.drain_records import DeployLock

__all__ = ["DeployStorage"]


class DeployStorage(Protocol):
    """Deploy locks (`DeployLock`). Their changes are decided under the claims' lock, so
    a claim (`RunStorage.claim_runs` with `deploy_lock`) sees the lock as it is: once a
    new version announced itself, no server of another version claims."""

    def announce_deploy(self, name: str, version: str, *, holder: str, at: dt.datetime,
                        deadline: dt.datetime) -> DeployLock:
        """Announce `version` on lock `name`; returns the lock as stored.

        No lock yet, or one of another version: the lock becomes DRAINING for `version`
        since `at` until `deadline`, held by `holder`, with the other version as
        `previous_version`. The lock's own version already: it is left as it is (another
        server of the same deploy)."""

    def get_deploy_lock(self, name: str) -> DeployLock | None:
        """The lock `name`, or None if no server announced a deploy on it."""

    def finish_deploy_drain(self, name: str, version: str, *, at: dt.datetime) -> DeployLock:
        """Make lock `name` ACTIVE (since `at`) if it is DRAINING for `version` and no run
        claimed by another version (or by none recorded) is active; returns the lock as
        stored. Raises NotFoundError if there is no such lock."""

    def add_handed_back(self, name: str, version: str, count: int) -> None:
        """Count `count` more runs handed back to `version` on lock `name` (nothing if
        the lock is another version's)."""
