"""The app `rpc_speed.py` measures: ten 3-op jobs, `job_0` to `job_9` (start -> middle -> end).

`rpc_speed.py` opens it in its own process and serves it with `daggo run -f rpc_app.py`.
"""

from __future__ import annotations

from attrs import frozen

from daggo_core import Context, Definitions, NoInput, dag

JOB_COUNT = 10


@frozen
class Start:
    n: int


@frozen
class Middle:
    n: int


@frozen
class End:
    n: int


@frozen
class MiddleIn:
    start: Start


@frozen
class EndIn:
    middle: Middle


def start(ctx: Context, inp: NoInput) -> Start:
    return Start(1)


def middle(ctx: Context, inp: MiddleIn) -> Middle:
    return Middle(inp.start.n + 1)


def end(ctx: Context, inp: EndIn) -> End:
    return End(inp.middle.n + 1)


JOBS = [dag.job(f"job_{i}").add(dag.op("start", start), dag.op("middle", middle),
                                 dag.op("end", end)).build() for i in range(JOB_COUNT)]
defs = Definitions(jobs=JOBS)
