"""The deploy-lock part of the storage contract (mixed into StorageContract)."""

from __future__ import annotations

import datetime as dt

import pytest

from daggo_core.errors import NotFoundError
from daggo_core.storage.base import Storage
from daggo_core.storage.drain_records import DeployLock, DeployState
from daggo_core.storage.records import Run, RunStatus

__all__ = ["DeployStorageContract"]

T0 = dt.datetime(2026, 6, 2, 9, 0, 0, 500000, tzinfo=dt.UTC)
LOCK = "daggo"


def second(s: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=s)


def claim(storage: Storage, version: str, lock: str | None = LOCK) -> list[Run]:
    """Claim every queued run as a server of `version` under deploy lock `lock`."""
    return storage.claim_runs(lambda queued, running: ([r.id for r in queued], {}),
                              claimer=f"server-{version}:1", version=version,
                              deploy_lock=lock)


def announce(storage: Storage, version: str, at: float = 0) -> DeployLock:
    return storage.announce_deploy(LOCK, version, holder=f"server-{version}:1",
                                   at=second(at), deadline=second(at + 60))


class DeployStorageContract:
    """Deploy locks: announced, finished once no other version's run is active, and
    honoured by claims."""

    def test_the_first_announcement_drains_then_finishes_with_nothing_active(
            self, storage: Storage) -> None:
        assert storage.get_deploy_lock(LOCK) is None
        lock = announce(storage, "1")
        assert lock == storage.get_deploy_lock(LOCK)
        assert (lock.version, lock.state, lock.previous_version, lock.draining_since,
                lock.deadline, lock.holder) == ("1", DeployState.DRAINING, None, second(0),
                                                second(60), "server-1:1")
        assert announce(storage, "1", at=5) == lock  # another server of the same deploy
        active = storage.finish_deploy_drain(LOCK, "1", at=second(2))
        assert (active.state, active.active_since) == (DeployState.ACTIVE, second(2))
        assert storage.finish_deploy_drain(LOCK, "2", at=second(3)) == active
        with pytest.raises(NotFoundError):
            storage.finish_deploy_drain("other", "1", at=second(3))

    def test_claims_under_the_lock_are_only_its_active_versions_and_record_it(
            self, storage: Storage) -> None:
        first = storage.add_run(Run(job_name="job"))
        assert [r.claimed_version for r in claim(storage, "0", lock=None)] == ["0"]
        queued = storage.add_run(Run(job_name="job"))
        announce(storage, "1")

        def refuse(queued: list[Run], running: list[Run]) -> tuple[tuple[str, ...],
                                                                   dict[str, str]]:
            raise AssertionError("a claim the lock refuses chooses nothing")

        assert storage.claim_runs(refuse, claimer="s:1", version="1", deploy_lock=LOCK) == []
        assert claim(storage, "0") == []  # another version
        # Version 0's run is still active: version 1 waits.
        assert storage.finish_deploy_drain(LOCK, "1", at=second(1)).state is DeployState.DRAINING
        storage.set_run_status(first.id, RunStatus.SUCCESS)
        assert storage.finish_deploy_drain(LOCK, "1", at=second(2)).state is DeployState.ACTIVE
        assert claim(storage, "0") == []
        (claimed,) = claim(storage, "1")
        assert (claimed.id, claimed.claimed_version) == (queued.id, "1")
        assert storage.get_run(queued.id).claimed_version == "1"

    def test_a_new_version_takes_the_lock_over_and_waits_for_runs_claimed_by_none(
            self, storage: Storage) -> None:
        announce(storage, "1")
        storage.finish_deploy_drain(LOCK, "1", at=second(1))
        unrecorded = storage.add_run(Run(job_name="job", status=RunStatus.STARTED))
        lock = announce(storage, "2", at=10)
        assert (lock.version, lock.state, lock.previous_version, lock.active_since,
                lock.draining_since) == ("2", DeployState.DRAINING, "1", None, second(10))
        assert claim(storage, "1") == [] and claim(storage, "2") == []
        assert storage.finish_deploy_drain(LOCK, "2", at=second(11)).state \
            is DeployState.DRAINING  # a run no version claimed counts as another's
        storage.set_run_status(unrecorded.id, RunStatus.FAILURE)
        assert storage.finish_deploy_drain(LOCK, "2", at=second(12)).state is DeployState.ACTIVE

    def test_handed_back_runs_are_counted_for_the_locks_version_only(
            self, storage: Storage) -> None:
        announce(storage, "1")
        storage.add_handed_back(LOCK, "1", 2)
        storage.add_handed_back(LOCK, "1", 1)
        storage.add_handed_back(LOCK, "0", 5)
        lock = storage.get_deploy_lock(LOCK)
        assert lock is not None and lock.handed_back == 3
        assert announce(storage, "2").handed_back == 0
