"""Resources from `Definitions.resources`: set up and torn down around each run, by every
executor (they share one run set-up path)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from attrs import frozen

import daggo_core
from daggo_core import Context, Definitions, NoInput, Resource, dag, execute
from daggo_core.config import default_config
from daggo_core.execution.claimed_run import execute_claimed_run
from daggo_core.storage.base import Storage
from daggo_core.storage.records import EventKind, Run, RunStatus, StepStatus
from daggo_core.testing.processes import wait_for
from daggo_core.testing.services import launch
from daggo_core.testing.storage_contract import claim_oldest


class Journal(Resource):
    """Records its set-ups and tear-downs; ops get a fresh connection per run."""

    def __init__(self, *, fail_setup: bool = False, fail_teardown: bool = False) -> None:
        self.entries: list[str] = []
        self.fail_setup = fail_setup
        self.fail_teardown = fail_teardown
        self._count = 0
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def open(self) -> Iterator[str]:
        if self.fail_setup:
            raise ConnectionError("warehouse unreachable")
        with self._lock:
            self._count += 1
            connection = f"conn-{self._count}"
        self.entries.append(f"open {connection}")
        yield connection
        self.entries.append(f"close {connection}")
        if self.fail_teardown:
            raise RuntimeError("could not close cleanly")


@frozen
class Used:
    connection: str
    plain: str


def use(ctx: Context, inp: NoInput) -> Used:
    journal = ctx.resources["journal"]
    assert isinstance(journal, str)
    return Used(journal, ctx.resources["plain"])


JOB = dag.job("uses").add(dag.op("use", use)).build()


def test_a_resource_is_opened_for_each_run_and_closed_after_it() -> None:
    journal = Journal()
    resources = {"journal": journal, "plain": "as it is"}
    first = execute(JOB, resources=resources)
    second = execute(JOB, resources=resources)
    assert first.output_for("use") == Used("conn-1", "as it is")
    assert second.output_for("use") == Used("conn-2", "as it is")
    assert journal.entries == ["open conn-1", "close conn-1", "open conn-2", "close conn-2"]


def test_a_resource_that_fails_to_set_up_fails_the_run_naming_it() -> None:
    result = execute(JOB, resources={"journal": Journal(fail_setup=True), "plain": ""})
    assert result.run.status is RunStatus.FAILURE
    assert result.run.error is not None
    assert "resource 'journal' failed to set up: ConnectionError: warehouse unreachable" in (
        result.run.error.message)
    assert result.steps["use"].status is StepStatus.SKIPPED


def test_a_failing_tear_down_is_logged_on_the_run_which_keeps_its_outcome() -> None:
    result = execute(JOB, resources={"journal": Journal(fail_teardown=True), "plain": ""})
    assert result.success
    [line] = [e for e in result.events() if e.kind is EventKind.LOG and e.level == "ERROR"]
    assert line.message == ("resource 'journal' failed to tear down: RuntimeError: could not "
                            "close cleanly")


def test_the_in_process_executor_sets_resources_up_per_run(tmp_path: Path) -> None:
    cfg = default_config()
    cfg.database.sqlite.path = str(tmp_path / "daggo.sqlite")
    cfg.execution.executor = "in_process"
    journal = Journal()
    app = daggo_core.open(cfg, Definitions(jobs=[JOB],
                                           resources={"journal": journal, "plain": "p"}))
    try:
        coordinator = app.start_execution()
        run = app.launch("uses")
        assert coordinator.dispatch_once() == 1
        wait_for(lambda: app.storage.get_run(run.id).is_finished, 20, "the run to end")
        assert app.storage.get_run(run.id).status is RunStatus.SUCCESS
        [step] = app.storage.list_steps(run.id)
        assert step.output == {"connection": "conn-1", "plain": "p"}
        assert journal.entries == ["open conn-1", "close conn-1"]
    finally:
        app.close()


def test_a_claimed_run_executes_once_by_id(storage: Storage) -> None:
    journal = Journal()
    definitions = Definitions(jobs=[JOB], resources={"journal": journal, "plain": "p"})
    queued = launch(storage, "uses", definitions)
    (claimed,) = claim_oldest(storage, 1)
    assert claimed.id == queued.id
    config = default_config()
    final = execute_claimed_run(claimed.id, config=config, storage=storage,
                                definitions=definitions)
    assert final.status is RunStatus.SUCCESS
    again = execute_claimed_run(claimed.id, config=config, storage=storage,
                                definitions=definitions)
    assert again.status is RunStatus.SUCCESS and journal.entries == ["open conn-1",
                                                                     "close conn-1"]


def test_a_claimed_run_of_an_unknown_job_is_failed(storage: Storage) -> None:
    run = storage.add_run(Run(job_name="elsewhere", status=RunStatus.STARTING))
    final = execute_claimed_run(run.id, config=default_config(), storage=storage,
                                definitions=Definitions(jobs=[JOB]))
    assert final.status is RunStatus.FAILURE
    assert final.error is not None and "job 'elsewhere' is not defined" in final.error.message
