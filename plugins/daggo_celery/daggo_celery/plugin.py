"""The `celery` executor (hook implementations only; Celery loads on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from daggo_celery.config import SECTION
from daggo_core.extensions import ConfigSection, ExecutorSpec
from daggo_core.hookspecs import hookimpl

if TYPE_CHECKING:
    from daggo_core.extensions import Executor, ExecutorContext


@hookimpl
def daggo_config_sections() -> list[ConfigSection]:
    return [SECTION]


@hookimpl
def daggo_executors() -> list[ExecutorSpec]:
    return [ExecutorSpec(name="celery", create=create_executor,
                         description="Celery workers on any number of machines "
                                     "(`daggo worker celery`)")]


@hookimpl
def daggo_worker_commands() -> list[click.Command]:
    from daggo_celery.cli import celery_worker

    return [celery_worker]


def create_executor(context: ExecutorContext) -> Executor:
    from daggo_celery.executor import CeleryExecutor

    return CeleryExecutor(context)
