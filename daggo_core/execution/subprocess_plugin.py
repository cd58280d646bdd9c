"""Built-in plugin: the `subprocess` executor."""

from __future__ import annotations

from daggo_core.extensions import Executor, ExecutorContext, ExecutorSpec
from daggo_core.hookspecs import hookimpl


def _create(context: ExecutorContext) -> Executor:
    from daggo_core.execution.subprocess_executor import SubprocessExecutor

    return SubprocessExecutor(context)


@hookimpl
def daggo_executors() -> list[ExecutorSpec]:
    return [ExecutorSpec(name="subprocess", create=_create,
                         description="runs each run in a worker process started from the "
                                     "app's own program, with a warm pool")]
