"""How long stopping a run may take: the deadlines cancellation and timeouts keep, from the
settings.

A canceled or timed-out run tells its steps to stop at once and abandons those still
running after a grace (`execution.cancel_grace_seconds`, `execution.timeout_grace_seconds`).
What cannot be abandoned (a step blocking the worker's event loop) is ended by killing the
worker: the executor that signalled it kills it after `cancel_kill_delay`, and a worker
gives up on its own run after `worker_give_up_delay` or `timeout_give_up_delay`. The cancel
message tells users `cancel_bound`, so what they read is what the code enforces.
"""

from __future__ import annotations

import math

from daggo_core.config import ExecutionConfig

__all__ = [
    "RECORDING_MARGIN",
    "TIMEOUT_GIVE_UP_MARGIN",
    "cancel_bound",
    "cancel_kill_delay",
    "timeout_give_up_delay",
    "worker_give_up_delay",
]

#: Seconds allowed for storing a stopped run's end (its worker's or executor's last writes).
RECORDING_MARGIN = 1.0
#: Seconds past a run's timeout and grace before its worker ends the run itself: time for
#: the run's own ending (abandoned steps recorded, final status stored) to come first.
TIMEOUT_GIVE_UP_MARGIN = 1.0


def cancel_kill_delay(execution: ExecutionConfig) -> float:
    """Seconds after signalling a worker to cancel before its executor kills it: the
    cancel grace, plus a margin for the run's last writes."""
    return execution.cancel_grace_seconds + max(1.0, execution.heartbeat_interval_seconds)


def worker_give_up_delay(execution: ExecutionConfig) -> float:
    """Seconds after a worker saw a cancel request before it ends the run CANCELED itself
    and exits: one heartbeat interval after its executor's kill, so a worker an executor
    watches is killed by that executor, which records why."""
    return cancel_kill_delay(execution) + execution.heartbeat_interval_seconds


def timeout_give_up_delay(execution: ExecutionConfig, run_timeout: float) -> float:
    """Seconds after a run started before its worker ends it FAILURE (RunTimeout) itself
    and exits, when the run did not end on its own at its timeout plus the grace."""
    return run_timeout + execution.timeout_grace_seconds + TIMEOUT_GIVE_UP_MARGIN


def cancel_bound(execution: ExecutionConfig, *, signalled: bool) -> float:
    """Seconds after a cancel request by which a running run has ended, rounded up to a
    tenth of a second.

    `signalled`: the executor running the run was told at once (a cancel through the
    server's own services), so it kills a worker that has not stopped after
    `cancel_kill_delay`. Otherwise the worker sees the stored request at its next
    heartbeat and gives up `worker_give_up_delay` later. Either way the run's end is then
    stored, which `RECORDING_MARGIN` allows for.
    """
    if signalled:
        bound = cancel_kill_delay(execution)
    else:
        bound = execution.heartbeat_interval_seconds + worker_give_up_delay(execution)
    return math.ceil((bound + RECORDING_MARGIN) * 10) / 10
