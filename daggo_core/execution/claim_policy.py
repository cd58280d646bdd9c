"""Which queued runs to claim now: a pure policy over global, per-job, per-tag and
per-partition limits."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Mapping, Sequence

from attrs import define, field, frozen

from daggo_core.storage.records import QUEUE_TAG, Run

__all__ = ["WAIT_KINDS", "ClaimDecision", "ConcurrencyLimits", "choose_runs"]

#: What a queued run can wait for: a global run slot, a free slot of this coordinator's
#: executor, its job's limit, one of its tags' limits, its queue's per-partition limit.
WAIT_KINDS = ("run_slot", "executor_slot", "job_limit", "tag_limit", "partition_limit")


@frozen(kw_only=True)
class ConcurrencyLimits:
    """How many runs may execute at once; a limit of 0 or less admits nothing.

    `tag_limits` keys are either `"key"` (runs having that tag, whatever its value) or
    `"key=value"` (runs with exactly that tag; split at the first `=`). `fair_share_tag`
    shares slots across the values of one tag key. `partition_limits` caps, by queue
    name, the runs of each partition key of that queue's items. `free_slots` caps how
    many runs this coordinator's executor can take now (None: no extra cap).
    """

    max_concurrent_runs: int
    job_limits: Mapping[str, int] = field(factory=dict)
    tag_limits: Mapping[str, int] = field(factory=dict)
    fair_share_tag: str | None = None
    partition_limits: Mapping[str, int] = field(factory=dict)
    free_slots: int | None = None


@frozen(kw_only=True)
class ClaimDecision:
    """Run ids to claim, in launch order, and why each other queued run waits: a message
    (`waiting`) and its kind, one of `WAIT_KINDS` (`wait_kinds`), by run id."""

    claim: tuple[str, ...]
    waiting: Mapping[str, str]
    wait_kinds: Mapping[str, str] = field(factory=dict)


def choose_runs(
    queued: Sequence[Run], running: Sequence[Run], limits: ConcurrencyLimits
) -> ClaimDecision:
    """Pick queued runs (given oldest first) that fit every limit, counting `running` runs.

    A run blocked by a job or tag limit never blocks younger runs of other jobs or tags.
    With `fair_share_tag`, the next pick always goes to the tag value with the fewest runs
    running or picked (ties: the value whose oldest queued run is oldest), so with nothing
    running picks go round-robin and one busy value cannot starve the rest. Each run not
    picked gets one reason: the first limit that blocks it, global slots first.
    """
    usage = _Usage(limits)
    for run in running:
        usage.add(run)
    picked = _pick(queued, running, limits.fair_share_tag, usage)
    claimed = {run.id for run in picked}
    waiting: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for run in queued:
        if run.id not in claimed:
            reason = usage.blocker(run)
            # Counts only grow while picking, so whatever blocked a skipped run still does.
            assert reason is not None, f"run {run.id} fits every limit but was not picked"
            kinds[run.id], waiting[run.id] = reason
    return ClaimDecision(claim=tuple(run.id for run in picked), waiting=waiting,
                         wait_kinds=kinds)


@define
class _Usage:
    """Runs counted against each limit: those running plus those picked so far."""

    limits: ConcurrencyLimits
    total: int = 0
    picked: int = 0
    jobs: Counter[str] = field(factory=Counter)
    tags: Counter[str] = field(factory=Counter)
    partitions: Counter[tuple[str, str]] = field(factory=Counter)
    _key_limits: dict[str, str] = field(init=False, factory=dict)
    _pair_limits: dict[tuple[str, str], str] = field(init=False, factory=dict)
    _order: dict[str, int] = field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        # Map tag keys and (key, value) pairs to the limit name they count against.
        for order, name in enumerate(self.limits.tag_limits):
            key, sep, value = name.partition("=")
            if sep:
                self._pair_limits[key, value] = name
            else:
                self._key_limits[key] = name
            self._order[name] = order

    def tag_limits_of(self, run: Run) -> list[str]:
        """The tag limits `run` counts against, in the order they were configured."""
        names = []
        for key, value in run.tags.items():
            if key in self._key_limits:
                names.append(self._key_limits[key])
            if (key, value) in self._pair_limits:
                names.append(self._pair_limits[key, value])
        return sorted(names, key=self._order.__getitem__)

    def add(self, run: Run, *, picked: bool = False) -> None:
        """Count `run` against its limits; `picked` also uses a free executor slot."""
        self.total += 1
        self.picked += picked
        self.jobs[run.job_name] += 1
        self.tags.update(self.tag_limits_of(run))
        partition = self.partition_of(run)
        if partition is not None:
            self.partitions[partition] += 1

    def partition_of(self, run: Run) -> tuple[str, str] | None:
        """(queue, partition key) of a run its queue limits per partition, else None."""
        queue = run.tags.get(QUEUE_TAG)
        if (run.partition_key is None or queue is None
                or queue not in self.limits.partition_limits):
            return None
        return queue, run.partition_key

    def slot_blocker(self) -> tuple[str, str] | None:
        """Why no run at all can be picked now (kind, message), or None."""
        cap = self.limits.max_concurrent_runs
        if self.total >= cap:
            return "run_slot", f"waiting for a run slot ({self.total} of {cap} running)"
        free = self.limits.free_slots
        if free is not None and self.picked >= free:
            return "executor_slot", "waiting for a free executor slot on this coordinator"
        return None

    def blocker(self, run: Run) -> tuple[str, str] | None:
        """The first limit that keeps `run` from being picked now (kind, message), or
        None."""
        reason = self.slot_blocker()
        if reason is not None:
            return reason
        job_cap = self.limits.job_limits.get(run.job_name)
        if job_cap is not None and self.jobs[run.job_name] >= job_cap:
            count = self.jobs[run.job_name]
            return ("job_limit",
                    f"job '{run.job_name}' limit reached ({count} of {job_cap} running)")
        for name in self.tag_limits_of(run):
            cap = self.limits.tag_limits[name]
            if self.tags[name] >= cap:
                return ("tag_limit",
                        f"tag '{name}' limit reached ({self.tags[name]} of {cap} running)")
        partition = self.partition_of(run)
        if partition is not None:
            cap = self.limits.partition_limits[partition[0]]
            if self.partitions[partition] >= cap:
                return ("partition_limit",
                        f"partition '{partition[1]}' of queue '{partition[0]}' limit reached "
                        f"({self.partitions[partition]} of {cap} running)")
        return None


def _pick(
    queued: Sequence[Run], running: Sequence[Run], tag: str | None, usage: _Usage
) -> list[Run]:
    """The runs to claim, in launch order, each counted in `usage` as it is picked.

    Runs are grouped by their `tag` value ("" when absent; one group when `tag` is None).
    A heap keyed by (runs of the group running or picked, position of its oldest queued
    run) chooses the group; within it the oldest run that fits is next. Counts only grow,
    so a skipped run stays blocked: each run is passed once and each group leaves the heap
    at most once, which keeps this linear in len(queued) up to a log factor in groups.
    """
    groups: dict[str, list[Run]] = {}
    for run in queued:
        groups.setdefault(_group_of(run, tag), []).append(run)
    active = Counter(_group_of(run, tag) for run in running) if tag is not None else Counter()
    heap = [(active[key], order, key) for order, key in enumerate(groups)]
    heapq.heapify(heap)
    cursor = dict.fromkeys(groups, 0)
    picked: list[Run] = []
    while heap and usage.slot_blocker() is None:
        count, order, key = heapq.heappop(heap)
        runs, i = groups[key], cursor[key]
        while i < len(runs) and usage.blocker(runs[i]) is not None:
            i += 1
        if i == len(runs):
            continue  # nothing left in this group fits; it leaves the heap
        cursor[key] = i + 1
        usage.add(runs[i], picked=True)
        picked.append(runs[i])
        heapq.heappush(heap, (count + 1, order, key))
    return picked


def _group_of(run: Run, tag: str | None) -> str:
    return "" if tag is None else run.tags.get(tag, "")
