"""Records of draining: worker pools with their drain requests, what a registrant's
heartbeat learns, and deploy locks (frozen attrs)."""

from __future__ import annotations

import datetime as dt
import enum

from attrs import field, frozen

from daggo_core.storage.records import utcnow

__all__ = ["DeployLock", "DeployState", "PoolRecord", "WorkerBeat"]


@frozen(kw_only=True)
class PoolRecord:
    """A pool of workers: the unit an admin drains at once.

    A pool is named by whoever feeds it work. A server's coordinator and executor are
    one (`subprocess@web-1:4242`: the executor's name, `@`, the server process's
    `host:pid`), registered by the server; plugins name theirs (e.g. a Celery queue's
    workers). `active_runs` is how many runs the pool executes, as its owner counts them
    (None: count its workers' rows that hold a run). `drain_requested_at` and
    `drain_accepted_at` are as on `WorkerRecord`: asked by an admin, accepted by the
    pool's owner once it takes no more runs; `save_pool` never changes them.
    """

    name: str
    executor: str
    host: str
    version: str
    queues: tuple[str, ...] = ()
    active_runs: int | None = None
    started_at: dt.datetime = field(factory=utcnow)
    heartbeat_at: dt.datetime = field(factory=utcnow)
    drain_requested_at: dt.datetime | None = None
    drain_accepted_at: dt.datetime | None = None


@frozen(kw_only=True)
class WorkerBeat:
    """What a heartbeat of a registrant's rows found: the worker ids that had a row
    (`present`), those of them asked to drain (their own row, or their pool), and
    whether the pool given is asked to drain."""

    present: frozenset[str] = frozenset()
    draining: frozenset[str] = frozenset()
    pool_draining: bool = False


class DeployState(enum.StrEnum):
    """Where a deploy lock is."""

    #: Its version waits for the active runs of other versions to finish (or to be handed
    #: back at the deadline); no server claims.
    DRAINING = "DRAINING"
    #: Its version claims; servers of other versions claim nothing.
    ACTIVE = "ACTIVE"


@frozen(kw_only=True)
class DeployLock:
    """The deploy lock `name`: which version may claim runs, and since when.

    A server started with `deploy.drain_enabled` announces its `version` at start-up; a
    version other than the lock's takes the lock over (the newest deploy wins): it is
    DRAINING since `draining_since`, the servers of `previous_version` (and any other)
    stop claiming, and it becomes ACTIVE (`active_since`) once no run claimed by another
    version is active. At `deadline` the runs still active are handed back
    (`handed_back` counts them). `holder` is the server (`host:pid`) that announced it.
    """

    name: str
    version: str
    state: DeployState
    holder: str
    previous_version: str | None = None
    draining_since: dt.datetime
    deadline: dt.datetime
    active_since: dt.datetime | None = None
    handed_back: int = 0
