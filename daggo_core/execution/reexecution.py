"""Re-execution plans: which steps of a new run reuse a parent run's stored outputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attrs import frozen

from daggo_core.definitions.jobs import JobDefinition
from daggo_core.errors import FailedPreconditionError, InvalidArgumentError
from daggo_core.storage.records import StepRecord, StepStatus

__all__ = ["FROM_FAILURE", "ReexecutionPlan", "plan_reexecution"]

#: The `REEXECUTE_TAG` value of a re-execution from failure.
FROM_FAILURE = "failure"


@frozen(kw_only=True)
class ReexecutionPlan:
    """`reuse`: step key -> the parent's stored output; `execute`: the steps to run again."""

    parent_run_id: str
    reuse: Mapping[str, Any]
    execute: frozenset[str]


def plan_reexecution(
    job: JobDefinition, parent_run_id: str, parent_steps: Sequence[StepRecord], mode: str
) -> ReexecutionPlan:
    """Plan a re-execution of `job` from failure or from one step of the parent run.

    From failure, every step that succeeded in the parent is reused and the others run
    again. From step K, K and every step downstream of it run again and the rest are
    reused; raises a DaggoError naming the step when an input they need has no stored
    output, or when K is not a step of the job.
    """
    succeeded = {
        s.step_key: s.output for s in parent_steps
        if s.status is StepStatus.SUCCESS and s.step_key in job.ops
    }
    # A sourced op is never executed: its asset's latest value is loaded again instead.
    if mode == FROM_FAILURE:
        execute = frozenset(name for name in job.order
                            if name not in succeeded and name not in job.sourced)
        if not execute:
            raise FailedPreconditionError(f"run {parent_run_id} has no failed steps to "
                                          "re-execute")
        return ReexecutionPlan(parent_run_id=parent_run_id, reuse=succeeded, execute=execute)
    key = mode.removeprefix("step:")
    if key not in job.ops or key in job.sourced:
        raise InvalidArgumentError(f"job {job.name!r} has no step {key!r} "
                         f"(steps: {', '.join(job.order)})")
    execute = frozenset((key, *job.downstream(key)))
    reuse = {name: out for name, out in succeeded.items() if name not in execute}
    for name in job.order:
        if name not in execute:
            continue
        missing = [u for u in job.upstream(name)
                   if u not in execute and u not in reuse and u not in job.sourced]
        if missing:
            raise FailedPreconditionError(
                f"cannot re-execute from step {key!r}: step {name!r} needs the output of "
                f"{', '.join(missing)}, which did not succeed in run {parent_run_id}; "
                "re-execute from failure instead"
            )
    return ReexecutionPlan(parent_run_id=parent_run_id, reuse=reuse, execute=execute)
