"""The runtime's Prometheus metrics, in a registry of each app's own (never the global
one): what the coordinator and the scheduler observe as they work, the RPC API's
requests, and what is read through the services when `/metrics` is scraped (see
docs/OPERATIONS.md#metrics). A web process of a server of several processes
(`admin.processes`) keeps none of its own: it sends its requests' observations to the
primary process and answers scrapes with the primary's registry.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from daggo_core.errors import NotFoundError
from daggo_core.execution.claim_policy import WAIT_KINDS
from daggo_core.services.runs import RunsCountByStatusRequest, RunsGetRequest, StepStatus
from daggo_core.storage.records import Run, ScheduleTick, utcnow

if TYPE_CHECKING:
    from daggo_core.app import DaggoApp
    from daggo_core.web.primary_link import PrimaryLink

__all__ = ["MAX_TRACKED_RUNS", "DaggoMetrics"]

#: Runs launched here whose steps are still to be observed; past this many (a server
#: nobody scrapes), the oldest are dropped.
MAX_TRACKED_RUNS = 10_000
_SECONDS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
            3600.0, 4 * 3600.0)
_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_ENDED_STEPS = frozenset({StepStatus.SUCCESS, StepStatus.FAILURE, StepStatus.CANCELED})


class DaggoMetrics:
    """The metrics of `app`: `run_launched` and `tick_fired` are given to its coordinator
    and scheduler, `observe_rpc` counts each RPC request; `scrape()` answers the text a
    Prometheus server reads. With `primary` set (in a web process), requests are counted
    and scrapes answered by the primary process."""

    def __init__(self, app: DaggoApp) -> None:
        self.app = app
        self.registry = CollectorRegistry()
        self.run_start_latency = Histogram(
            "daggo_run_start_latency_seconds",
            "Time from a run being queued to this server handing it to its executor.",
            ["job"], registry=self.registry, buckets=_SECONDS)
        self.tick_lag = Histogram(
            "daggo_scheduler_tick_lag_seconds",
            "How late this server's scheduler fired each due schedule tick.",
            registry=self.registry, buckets=_SECONDS)
        self.step_duration = Histogram(
            "daggo_step_duration_seconds",
            "Durations of the ended steps of the runs this server launched.",
            ["job", "status"], registry=self.registry, buckets=_SECONDS)
        self.rpc_requests = Counter(
            "daggo_rpc_requests", "RPC requests, by method and HTTP status.",
            ["method", "status"], registry=self.registry)
        self.rpc_latency = Histogram(
            "daggo_rpc_request_duration_seconds",
            "Time to answer an RPC request (a stream: until it starts), by method.",
            ["method"], registry=self.registry, buckets=_LATENCY)
        self.registry.register(_StateCollector(app))
        self.primary: PrimaryLink | None = None
        self._tracked: dict[str, str] = {}  # run id -> job, in launch order
        self._lock = threading.Lock()

    def run_launched(self, run: Run) -> None:
        """A run was handed to the executor: its start latency, and its steps to observe
        once it has ended."""
        waited = max(0.0, (utcnow() - run.created_at).total_seconds())
        self.run_start_latency.labels(job=run.job_name).observe(waited)
        with self._lock:
            self._tracked[run.id] = run.job_name
            while len(self._tracked) > MAX_TRACKED_RUNS:
                del self._tracked[next(iter(self._tracked))]

    @property
    def runs_to_observe(self) -> int:
        """How many launched runs' steps are still to be observed (at most
        `MAX_TRACKED_RUNS`)."""
        return len(self._tracked)

    def tick_fired(self, tick: ScheduleTick, lag_seconds: float) -> None:
        """The scheduler stored a due tick `lag_seconds` after its time."""
        self.tick_lag.observe(max(0.0, lag_seconds))

    def observe_rpc(self, method: str, status: int, seconds: float) -> None:
        """Count a request of `method` answered with `status` after `seconds`."""
        if self.primary is not None:
            self.primary.observe_rpc(method, status, seconds)
            return
        self.rpc_requests.labels(method=method, status=str(status)).inc()
        self.rpc_latency.labels(method=method).observe(seconds)

    def scrape(self) -> bytes:
        """Observe the steps of launched runs that have ended since, then every metric in
        the text format. Blocks on the database (or the primary process): call it off the
        event loop."""
        if self.primary is not None:
            return self.primary.scrape()
        self._observe_ended_runs()
        return generate_latest(self.registry)

    def _observe_ended_runs(self) -> None:
        with self._lock:
            tracked = list(self._tracked)
        # A run its executor still executes has not ended: read only the others, so a
        # scrape reads each run once, after it ended, however many are running.
        executor = self.app.executor
        executing = executor.active_run_ids() if executor is not None else set()
        for run_id in tracked:
            if run_id in executing:
                continue
            try:
                detail = self.app.services.runs.get(RunsGetRequest(run_id=run_id))
            except NotFoundError:
                self._forget(run_id)
                continue
            if not detail.run.is_finished:
                continue
            for step in detail.steps:
                if step.status in _ENDED_STEPS and step.duration_seconds is not None:
                    self.step_duration.labels(job=detail.run.job_name, status=step.status.value
                                              ).observe(step.duration_seconds)
            self._forget(run_id)

    def _forget(self, run_id: str) -> None:
        with self._lock:
            self._tracked.pop(run_id, None)


class _StateCollector(Collector):
    """Gauges read at scrape time: runs by job and status (one grouped count), queued
    runs by why they wait, and the runs this server's executor is executing."""

    def __init__(self, app: DaggoApp) -> None:
        self.app = app

    def describe(self) -> Iterator[Metric]:
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        runs, waiting, workers = self._families()
        counts = self.app.services.runs.count_by_status(RunsCountByStatusRequest()).counts
        for count in counts:
            runs.add_metric([count.job, count.status.value], count.count)
        coordinator, executor = self.app.coordinator, self.app.executor
        for kind in WAIT_KINDS:
            waiting.add_metric([kind], coordinator.waiting[kind] if coordinator else 0)
        workers.add_metric([], len(executor.active_run_ids()) if executor else 0)
        yield from (runs, waiting, workers)

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily("daggo_runs", "Runs in the database, by job and status.",
                              labels=["job", "status"]),
            GaugeMetricFamily(
                "daggo_queued_runs_waiting",
                "Queued runs this server's coordinator left waiting at its last pass, by "
                "what they wait for.", labels=["reason"]),
            GaugeMetricFamily("daggo_active_workers",
                              "Runs this server's executor is executing now (with the "
                              "subprocess executor, a worker process each)."),
        )
