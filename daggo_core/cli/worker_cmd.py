"""`daggo worker`: the internal worker entry the subprocess executor starts, and the
worker kinds of plugins (`daggo worker celery`).

Without a subcommand it loads the app like `daggo run` (-m / -f / `app` in config) and
executes one run: the one named by `--run-id` (or `DAGGO_WORKER_RUN_ID`), else the one
whose id arrives as a line on stdin (how the executor hands a run to a pre-started warm
worker). A plugin's worker command takes the same app options (`app_options`) and loads
the app with `load_worker_app`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from daggo_core.cli import hooks_for
from daggo_core.cli.common import app_options, load_app, load_cli_config
from daggo_core.config import Config
from daggo_core.definitions.definitions import Definitions
from daggo_core.errors import DefinitionLoadError, PluginError
from daggo_core.execution.error_info import error_info

__all__ = ["WorkerGroup", "load_worker_app", "worker", "worker_command_for"]


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


def load_worker_app(ctx: click.Context, config_path: Path | None, app_module: str | None,
                    app_file: str | None) -> tuple[Config, Definitions]:
    """The configuration and the app's definitions of a worker command (`app_options`).

    An app that fails to import prints the whole of the user's traceback before the
    error: what the executor fails the run with, not only the frame the error names.
    """
    cfg = load_cli_config(ctx, config_path)
    try:
        definitions = load_app(cfg, app_module, app_file)
    except DefinitionLoadError as exc:
        if exc.__cause__ is not None:
            trace = error_info(exc.__cause__, from_user_code=True).traceback
            click.echo(trace, err=True, nl=False)
        raise
    assert definitions is not None
    return cfg, definitions


class WorkerGroup(click.Group):
    """`daggo worker`: one run in this process, or a worker kind of a plugin
    (`daggo_worker_commands`) given as a subcommand."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        try:
            return hooks_for(ctx).worker_commands().get(cmd_name)
        except PluginError as exc:
            raise click.ClickException(str(exc)) from exc

    def list_commands(self, ctx: click.Context) -> list[str]:
        try:
            return sorted(hooks_for(ctx).worker_commands())
        except PluginError as exc:
            click.echo(f"Warning: worker commands unavailable: {exc}", err=True)
            return []


@click.group("worker", cls=WorkerGroup, invoke_without_command=True,
             short_help="Execute a run in this process, or start workers of a kind.")
@app_options
@click.option("--run-id", envvar="DAGGO_WORKER_RUN_ID",
              help="The (claimed, STARTING) run to execute; default: read its id from stdin.")
@click.pass_context
def worker(ctx: click.Context, config_path: Path | None, app_module: str | None,
           app_file: str | None, run_id: str | None) -> None:
    """Without a subcommand: execute one claimed run of the app's jobs, then exit.

    The subprocess executor starts this; you do not need it to run daggo. The exit code
    is 0 once the run reached a final status, whatever it was. With a subcommand (a
    worker kind an installed plugin adds, e.g. `daggo worker celery -m APP`), start
    that kind of worker instead.
    """
    if ctx.invoked_subcommand is not None:
        return
    import logging

    from daggo_core.execution.worker_process import exit_worker, serve_worker

    cfg, definitions = load_worker_app(ctx, config_path, app_module, app_file)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    exit_worker(serve_worker(cfg, definitions, hooks_for(ctx), run_id=run_id))
