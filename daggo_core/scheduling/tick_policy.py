"""The pure decision of what each claimed tick does: launch, skip, buffer, fail or pause.

Given the committed situation of each schedule (its Enabled override, runs still going,
ticks waiting, recent outcomes), the schedule's policies decide; storage stores the
decisions in the transaction that read the situation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from daggo_core.definitions.schedules import Overlap, ScheduleDefinition
from daggo_core.storage.records import RunStatus, ScheduleTick, TickStatus
from daggo_core.storage.ticks import ScheduleId, ScheduleSituation, TickClaim, TickDecision

__all__ = ["decide_ticks"]

#: Stands for a tick buffered in this same decision (its id is not known yet).
_NEW_BUFFERED = -1


def decide_ticks(
    claims: Sequence[TickClaim],
    situations: Mapping[ScheduleId, ScheduleSituation],
    schedules: Mapping[ScheduleId, ScheduleDefinition],
) -> list[TickDecision]:
    """Decide every claim; a schedule's claims are taken oldest first, releases of
    buffered ticks before new ticks."""
    by_schedule: dict[ScheduleId, list[TickClaim]] = defaultdict(list)
    for claim in claims:
        if claim.schedule_id in schedules:
            by_schedule[claim.schedule_id].append(claim)
    decisions: list[TickDecision] = []
    for schedule_id, own in by_schedule.items():
        own.sort(key=lambda c: (c.buffered_id is None, c.scheduled_for))
        deciding = _ScheduleDecisions(schedules[schedule_id],
                                      situations.get(schedule_id, ScheduleSituation()))
        for claim in own:
            decision = deciding.release(claim) if claim.buffered_id is not None \
                else deciding.new_tick(claim)
            if decision is not None:
                decisions.append(decision)
    return decisions


class _ScheduleDecisions:
    """One schedule's situation, updated as its claims are decided one by one."""

    def __init__(self, schedule: ScheduleDefinition, situation: ScheduleSituation) -> None:
        self.schedule = schedule
        override = situation.enabled_override
        self.enabled = schedule.enabled if override is None else override
        self.running = list(situation.active_run_ids)
        self.buffered = list(situation.buffered_ids)
        self.outcomes = situation.recent_outcomes

    def release(self, claim: TickClaim) -> TickDecision | None:
        """A buffered tick starts once nothing of its schedule runs, oldest first."""
        if not self.buffered or self.buffered[0] != claim.buffered_id:
            return None
        if not self.enabled:
            self.buffered.pop(0)
            return _decision(claim, TickStatus.SKIPPED, "schedule disabled while the tick "
                             "waited", release=True)
        if self.running:
            return None
        self.buffered.pop(0)
        return self._launch(claim, release=True)

    def new_tick(self, claim: TickClaim) -> TickDecision:
        if not self.enabled:
            return _decision(claim, TickStatus.SKIPPED, "schedule disabled")
        if claim.run is None:
            return _decision(claim, TickStatus.FAILED, claim.failure or "no run prepared")
        pause_after = self.schedule.pause_after_failures
        recent = self.outcomes[:pause_after] if pause_after else ()
        if pause_after and len(recent) == pause_after and all(
            status is RunStatus.FAILURE for status in recent
        ):
            self.enabled = False
            return TickDecision(
                tick=_tick(claim, TickStatus.PAUSED, (
                    f"schedule paused: its last {pause_after} run(s) failed; enable it again "
                    f"with `daggo schedule enable {claim.job_name} {claim.schedule_key}`")),
                pause=True,
            )
        if not self.running and not self.buffered:
            return self._launch(claim)
        return self._overlap(claim)

    def _overlap(self, claim: TickClaim) -> TickDecision:
        overlap = self.schedule.overlap
        busy = (f"run {self.running[-1]} of this schedule is still going" if self.running
                else "earlier ticks are waiting")
        if overlap is Overlap.ALLOW:
            return self._launch(claim)
        if overlap is Overlap.CANCEL_RUNNING:
            canceled = tuple(self.running)
            self.running.clear()
            return self._launch(claim, canceled=canceled)
        if overlap is Overlap.BUFFER_ALL or (overlap is Overlap.BUFFER_ONE and not self.buffered):
            self.buffered.append(_NEW_BUFFERED)
            return _decision(claim, TickStatus.BUFFERED, f"waiting: {busy} (overlap={overlap})")
        if overlap is Overlap.BUFFER_ONE:
            busy = "a tick is already waiting"
        return _decision(claim, TickStatus.SKIPPED, f"{busy} (overlap={overlap})")

    def _launch(self, claim: TickClaim, *, release: bool = False,
                canceled: tuple[str, ...] = ()) -> TickDecision:
        if claim.run is None:
            return _decision(claim, TickStatus.FAILED, claim.failure or "no run prepared",
                             release=release)
        self.running.append(claim.run.id)
        reason = (f"cancellation requested for run(s) {', '.join(canceled)} "
                  "(overlap=cancel_running)") if canceled else None
        return TickDecision(
            tick=_tick(claim, TickStatus.LAUNCHED, reason, run_id=claim.run.id),
            run=claim.run,
            release_id=claim.buffered_id if release else None,
            cancel_run_ids=canceled,
        )


def _decision(claim: TickClaim, status: TickStatus, reason: str, *,
              release: bool = False) -> TickDecision:
    return TickDecision(tick=_tick(claim, status, reason),
                        release_id=claim.buffered_id if release else None)


def _tick(claim: TickClaim, status: TickStatus, reason: str | None, *,
          run_id: str | None = None) -> ScheduleTick:
    if claim.note:
        reason = f"{reason}; {claim.note}" if reason else claim.note
    return ScheduleTick(job_name=claim.job_name, schedule_key=claim.schedule_key,
                        scheduled_for=claim.scheduled_for, status=status, run_id=run_id,
                        reason=reason)
