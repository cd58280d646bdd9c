"""Built-in plugin: the `in_process` executor."""

from __future__ import annotations

from daggo_core.extensions import Executor, ExecutorContext, ExecutorSpec
from daggo_core.hookspecs import hookimpl


def _create(context: ExecutorContext) -> Executor:
    from daggo_core.execution.in_process import InProcessExecutor

    return InProcessExecutor(context)


@hookimpl
def daggo_executors() -> list[ExecutorSpec]:
    return [ExecutorSpec(name="in_process", create=_create,
                         description="runs each run on a thread of the server process")]
