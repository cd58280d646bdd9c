"""The app the real-process tests serve: written into each test's directory as app.py.

Steps coordinate with the test through files in `TEST_GATE_DIR`: a step writes
`started-<run id>` (its pid) when it starts and waits until the test creates `open`
(`journal_job`'s also appends its start and end to `journal`).
While `break-workers` exists, the app fails to import in workers (a module they lack);
while `slow-import` exists, workers take as many seconds as it says to import it.
"""

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from attrs import frozen

import daggo_core
from daggo_core import Context, NoInput, dag

GATE = Path(os.environ["TEST_GATE_DIR"])
#: The timeout of the timeout jobs' runs (or op), in seconds.
RUN_TIMEOUT = 2.0

if os.environ.get("DAGGO_WORKER") == "1" and (GATE / "break-workers").exists():
    import a_module_missing_from_the_workers  # noqa: F401
if os.environ.get("DAGGO_WORKER") == "1" and (GATE / "slow-import").exists():
    time.sleep(float((GATE / "slow-import").read_text()))  # a heavy app, a loaded machine


@frozen
class Pid:
    value: int


@frozen
class Waited:
    pid: int


@frozen
class AfterIn:
    waited: Waited


@frozen
class Done:
    ok: bool


def pid(ctx: Context, inp: NoInput) -> Pid:
    return Pid(os.getpid())


def wait_gate(ctx: Context, inp: NoInput) -> Waited:
    (GATE / f"started-{ctx.run_id}").write_text(str(os.getpid()))
    while not (GATE / "open").exists():
        if ctx.cancel_event.wait(0.02):
            raise RuntimeError("canceled")
    return Waited(os.getpid())


def fork_then_wait(ctx: Context, inp: NoInput) -> Waited:
    """Fork a child that outlives this worker (it inherits the worker's fds), write its
    pid to `child-<run id>`, then wait at the gate."""
    child = os.fork()
    if child == 0:
        time.sleep(60)
        os._exit(0)
    (GATE / f"child-{ctx.run_id}").write_text(str(child))
    return wait_gate(ctx, inp)


def journaled(ctx: Context, inp: NoInput) -> Waited:
    """Append `start <run id> <deploy version>` to the gate's `journal`, wait at the
    gate, then append `end <run id> <deploy version>`: each execution leaves its lines."""
    version = os.environ.get("DAGGO_DEPLOY_VERSION", "-")
    with (GATE / "journal").open("a") as journal:
        journal.write(f"start {ctx.run_id} {version}\n")
    (GATE / f"started-{ctx.run_id}").write_text(str(os.getpid()))
    while not (GATE / "open").exists():
        if ctx.cancel_event.wait(0.02):
            raise RuntimeError("canceled")
    with (GATE / "journal").open("a") as journal:
        journal.write(f"end {ctx.run_id} {version}\n")
    return Waited(os.getpid())


def after(ctx: Context, inp: AfterIn) -> Done:
    (GATE / f"after-{ctx.run_id}").write_text("")
    return Done(True)


async def stubborn(ctx: Context, inp: NoInput) -> Waited:
    (GATE / f"started-{ctx.run_id}").write_text(str(os.getpid()))
    time.sleep(3600)  # blocks the worker's event loop: cancellation cannot reach this step
    return Waited(0)


def ignore_cancel(ctx: Context, inp: NoInput) -> Waited:
    """Wait at the gate, deaf to cancellation and timeouts."""
    (GATE / f"started-{ctx.run_id}").write_text(str(os.getpid()))
    while not (GATE / "open").exists():
        time.sleep(0.02)
    return Waited(os.getpid())


def loud(ctx: Context, inp: NoInput) -> Pid:
    """Print a 5 MB line, then 50 lines of 100 bytes."""
    print("x" * 5_000_000)
    for i in range(50):
        print(f"line {i:02} " + "." * 92)
    return Pid(os.getpid())


class Journal(daggo_core.Resource):
    """Writes `resource-<pid>` on set-up and `resource-<pid>-closed` on tear-down."""

    @contextlib.contextmanager
    def open(self) -> Iterator[str]:
        mark = GATE / f"resource-{os.getpid()}"
        mark.write_text("")
        yield mark.name
        (GATE / f"{mark.name}-closed").write_text("")


@frozen
class Seen:
    resource: str


def use_resource(ctx: Context, inp: NoInput) -> Seen:
    return Seen(ctx.resources["journal"])


class Handle:
    """Something an output field cannot hold."""


def unserializable(ctx: Context, inp: NoInput) -> Pid:
    ctx.log.info("about to return a handle")
    return Pid(Handle())


defs = daggo_core.Definitions(resources={"journal": Journal()}, jobs=[
    dag.job("resource_job").add(dag.op("use_resource", use_resource)).build(),
    dag.job("pid_job").add(dag.op("pid", pid)).build(),
    dag.job("journal_job").add(dag.op("journaled", journaled)).build(),
    dag.job("gate_job").add(dag.op("wait_gate", wait_gate), dag.op("after", after)).build(),
    dag.job("retry_job", run_retries=1).add(dag.op("wait_gate", wait_gate)).build(),
    dag.job("stubborn_job").add(dag.op("stubborn", stubborn)).build(),
    dag.job("forking_job").add(dag.op("fork_then_wait", fork_then_wait)).build(),
    dag.job("deaf_job").add(dag.op("ignore_cancel", ignore_cancel)).build(),
    dag.job("loud_job").add(dag.op("loud", loud)).build(),
    dag.job("run_timeout_job", timeout=RUN_TIMEOUT).add(
        dag.op("ignore_cancel", ignore_cancel), dag.op("after", after)).build(),
    dag.job("op_timeout_job").add(
        dag.op("ignore_cancel", ignore_cancel, timeout=RUN_TIMEOUT), dag.op("after", after)
    ).build(),
    dag.job("blocking_timeout_job", timeout=RUN_TIMEOUT).add(
        dag.op("stubborn", stubborn)).build(),
    dag.job("unserializable_job", run_retries=1).add(
        dag.op("unserializable", unserializable)).build(),
])
