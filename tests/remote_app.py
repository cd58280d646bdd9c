"""The app `tests/test_cli_remote.py` serves with `daggo run -f`.

`counting` doubles its `n` (a negative one fails the run), on a yearly schedule;
`gated` waits until the file `open` exists in `TEST_GATE_DIR` (or it is canceled).
"""

import os
from pathlib import Path

from attrs import frozen

import daggo_core
from daggo_core import Context, NoInput, dag

GATE = Path(os.environ["TEST_GATE_DIR"])


@frozen
class Params:
    n: int = 1


@frozen
class Num:
    value: int


@frozen
class Doubled:
    value: int


@frozen
class DoubleIn:
    num: Num


def count(ctx: Context, inp: NoInput) -> Num:
    ctx.log.info("counting to %d", ctx.params.n)
    if ctx.params.n < 0:
        raise ValueError(f"cannot count to {ctx.params.n}")
    return Num(ctx.params.n)


def double(ctx: Context, inp: DoubleIn) -> Doubled:
    return Doubled(inp.num.value * 2)


def wait_gate(ctx: Context, inp: NoInput) -> Num:
    (GATE / f"started-{ctx.run_id}").touch()
    while not (GATE / "open").exists():
        if ctx.cancel_event.wait(0.02):
            raise RuntimeError("canceled")
    return Num(0)


defs = daggo_core.Definitions(jobs=[
    dag.job("counting", params=Params).add(dag.op("count", count), dag.op("double", double))
    .schedule("0 3 1 1 *", key="yearly").schedule("0 4 * * 1", key="weekly", enabled=False)
    .build(),
    dag.job("gated").add(dag.op("wait", wait_gate)).build(),
])
