"""The app the stream tests serve: written into each test's directory as app.py.

`chatty` logs `n` lines. `gated` logs a line, writes `started-<run id>` in
`TEST_GATE_DIR`, waits until the test creates `open-<run id>` (or `open`), then logs
another; one runs at a time, so a second run waits QUEUED.
"""

import os
import time
from pathlib import Path

from attrs import frozen

import daggo_core
from daggo_core import Context, NoInput, dag

GATE = Path(os.environ["TEST_GATE_DIR"])


@frozen
class Lines:
    n: int = 5


@frozen
class Done:
    n: int


def chatty(ctx: Context, inp: NoInput) -> Done:
    for i in range(ctx.params.n):
        ctx.log.info("line %d", i)
    return Done(ctx.params.n)


def gated(ctx: Context, inp: NoInput) -> Done:
    ctx.log.info("before the gate")
    (GATE / f"started-{ctx.run_id}").write_text("")
    while not ((GATE / f"open-{ctx.run_id}").exists() or (GATE / "open").exists()):
        time.sleep(0.01)
    ctx.log.info("after the gate")
    return Done(1)


defs = daggo_core.Definitions(jobs=[
    dag.job("chatty", params=Lines).add(dag.op("chatty", chatty)).build(),
    dag.job("gated", max_concurrent_runs=1).add(dag.op("gated", gated)).build(),
])
