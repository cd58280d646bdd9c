"""`daggo worker celery`: a Celery worker executing the app's runs."""

from __future__ import annotations

from pathlib import Path

import click

from daggo_core.cli import hooks_for
from daggo_core.cli.common import app_options
from daggo_core.cli.worker_cmd import load_worker_app

__all__ = ["celery_worker"]

_POOLS = ("prefork", "solo")  # a registry row per process: one run at a time in each


@click.command("celery", short_help="Start a Celery worker executing the app's runs.")
@app_options
@click.option("--queues", "-Q", metavar="A,B",
              help="Celery queues to consume (default: execution.celery.default_queue).")
@click.option("--concurrency", "-c", type=click.IntRange(1, 256),
              help="Runs executed at once (default: execution.celery.concurrency).")
@click.option("--pool", type=click.Choice(_POOLS), default="prefork", show_default=True,
              help="Celery's pool: prefork runs each run in a pool process of its own; "
              "solo runs one run at a time in the worker's own process.")
@click.option("--hostname", "-n", metavar="NAME",
              help="Celery node name (default: celery@<host>).")
@click.pass_context
def celery_worker(ctx: click.Context, config_path: Path | None, app_module: str | None,
                  app_file: str | None, queues: str | None, concurrency: int | None,
                  pool: str, hostname: str | None) -> None:
    """Consume runs from Celery queues and execute them with the app's definitions.

    Start one or more on any machine that reaches the broker and the database; the
    server publishes runs when `execution.executor = "celery"`.
    """
    from daggo_celery.config import CeleryConfig
    from daggo_celery.worker import WorkerApp, start_worker

    cfg, definitions = load_worker_app(ctx, config_path, app_module, app_file)
    settings = cfg.execution.section("celery", CeleryConfig)
    names = tuple(q.strip() for q in (queues or settings.default_queue).split(",")
                  if q.strip())
    if not names:
        raise click.BadParameter("name at least one queue", param_hint="--queues")
    app = WorkerApp(config=cfg, definitions=definitions, hooks=hooks_for(ctx), queues=names)
    start_worker(app, concurrency=concurrency or settings.concurrency, pool=pool,
                 hostname=hostname)
