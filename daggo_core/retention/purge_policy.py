"""Which old runs a purge batch deletes: a pure policy over what storage read
(`daggo_core.storage.purge`), decided inside the batch's transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from daggo_core.storage.item_rollup import FINISHED_ITEM_STATUSES
from daggo_core.storage.purge import (
    KeptBecause,
    PurgeDecision,
    PurgeFacts,
    PurgeItem,
    PurgeRun,
    RetentionCutoffs,
)

__all__ = ["EVENTS_PER_BATCH", "decide_purge"]

#: The events one batch deletes at most (unless its first run alone has more), so that
#: runs with long logs make shorter transactions rather than one that holds writers up.
EVENTS_PER_BATCH = 50_000


def decide_purge(facts: PurgeFacts, cutoffs: RetentionCutoffs, *,
                 max_events: int = EVENTS_PER_BATCH) -> PurgeDecision:
    """Pick, in scan order, the candidates to purge and stop before the events would pass
    `max_events` (the first pick is always taken).

    A candidate storage found a reason to keep stays. A queue item goes as a whole with
    all its runs, decided at its oldest candidate (its later candidates are passed over,
    also when a dry run sees them again in a later batch): only once it is finished,
    not due a retry nor dead-lettered, and every run of it is old and free of reasons.
    """
    runs: list[str] = []
    items: list[str] = []
    kept: Counter[KeptBecause] = Counter()
    events = examined = 0
    for run_id in facts.candidates:
        run = facts.runs[run_id]
        item = facts.items[run.queue_item_id] if run.queue_item_id is not None else None
        unit = [run] if item is None else [facts.runs[i] for i in item.run_ids]
        if item is not None and _first_old(unit, cutoffs) != run.id:
            examined += 1  # decided with the item's oldest candidate
            continue
        reason = run.kept if item is None else _item_kept(item, unit, cutoffs)
        if reason is not None:
            kept[reason] += sum(cutoffs.is_old(r) for r in unit)
            examined += 1
            continue
        cost = sum(r.events for r in unit)
        if runs and events + cost > max_events:
            break
        events += cost
        runs.extend(r.id for r in unit)
        if item is not None:
            items.append(item.id)
        examined += 1
    return PurgeDecision(runs=tuple(runs), items=tuple(items), examined=examined,
                         kept=dict(kept))


def _first_old(runs: Sequence[PurgeRun], cutoffs: RetentionCutoffs) -> str | None:
    """The id of the oldest run of `runs` old enough to purge (a candidate of the scan)."""
    old = [(run.created_at, run.id) for run in runs if cutoffs.is_old(run)]
    return min(old)[1] if old else None


def _item_kept(item: PurgeItem, runs: Sequence[PurgeRun],
               cutoffs: RetentionCutoffs) -> KeptBecause | None:
    """Why the item and its runs stay, if they do."""
    for run in runs:
        if run.kept is not None:
            return run.kept
    if (item.status not in FINISHED_ITEM_STATUSES or item.retry_at is not None
            or item.dead_lettered or not all(cutoffs.is_old(run) for run in runs)):
        return KeptBecause.QUEUE_ITEM
    return None
