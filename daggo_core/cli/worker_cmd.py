"""`daggo worker`: the internal worker entry the subprocess executor starts.

It loads the app like `daggo run` (-m / -f / `app` in config) and executes one run:
the one named by `--run-id` (or `DAGGO_WORKER_RUN_ID`), else the one whose id arrives as
a line on stdin (how the executor hands a run to a pre-started warm worker).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from daggo_core.cli import hooks_for
from daggo_core.cli.common import app_options, load_app, load_cli_config
from daggo_core.errors import DefinitionLoadError
from daggo_core.execution.error_info import error_info

__all__ = ["worker", "worker_command_for"]


def worker_command_for(config_path: Path | None, app_module: str | None,
                       app_file: str | None) -> list[str]:
    """The argv of a `daggo worker` for the same app and config as a `daggo run`."""
    command = [sys.executable, "-m", "daggo_core.cli.main", "worker"]
    if config_path is not None:
        command += ["--config", str(Path(config_path).resolve())]
    if app_module:
        command += ["-m", app_module]
    if app_file:
        command += ["-f", app_file]
    return command


@click.command("worker", short_help="Internal: execute one run in this process.")
@app_options
@click.option("--run-id", envvar="DAGGO_WORKER_RUN_ID",
              help="The (claimed, STARTING) run to execute; default: read its id from stdin.")
@click.pass_context
def worker(ctx: click.Context, config_path: Path | None, app_module: str | None,
           app_file: str | None, run_id: str | None) -> None:
    """Execute one claimed run of the app's jobs, then exit.

    The subprocess executor starts this; you do not need it to run daggo. The exit code
    is 0 once the run reached a final status, whatever it was.
    """
    import logging

    from daggo_core.execution.worker_process import exit_worker, serve_worker

    cfg = load_cli_config(ctx, config_path)
    try:
        definitions = load_app(cfg, app_module, app_file)
    except DefinitionLoadError as exc:
        # The executor fails the run with what a worker that cannot start prints: the
        # whole of the user's traceback, not only the frame the error names.
        if exc.__cause__ is not None:
            trace = error_info(exc.__cause__, from_user_code=True).traceback
            click.echo(trace, err=True, nl=False)
        raise
    assert definitions is not None
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    exit_worker(serve_worker(cfg, definitions, hooks_for(ctx), run_id=run_id))
