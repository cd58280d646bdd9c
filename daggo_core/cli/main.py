"""The `daggo` command: core subcommands plus those contributed by plugins.

Core commands are registered below with one `cli.add_command(...)` line each. Plugin
commands (hook `daggo_cli_commands`) are looked up only when a name is not a core command
or when `--help` lists commands, so core commands never pay for loading plugins.

Commands that need plugins call `daggo_core.cli.hooks_for(ctx)` (never import this module
from a command module: under `python -m daggo_core.cli.main` it would load twice).
"""

from __future__ import annotations

import click

from daggo_core.cli import (
    backfill_cmd,
    db_cmd,
    hooks_for,
    job_cmd,
    plugins_cmd,
    queue_cmd,
    run_cmd,
    runs_cmd,
    schedule_cmd,
    sdk_cmd,
    worker_cmd,
    workers_cmd,
)
from daggo_core.errors import DaggoError, PluginError

__all__ = ["DaggoGroup", "cli", "main"]


class DaggoGroup(click.Group):
    """A group that falls back to plugin commands for names it does not know."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        try:
            return hooks_for(ctx).cli_commands().get(cmd_name)
        except PluginError as exc:
            raise click.ClickException(str(exc)) from exc

    def list_commands(self, ctx: click.Context) -> list[str]:
        core = super().list_commands(ctx)
        try:
            contributed = hooks_for(ctx).cli_commands()
        except PluginError as exc:
            click.echo(f"Warning: plugin commands unavailable: {exc}", err=True)
            return core
        return sorted({*core, *contributed})

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except DaggoError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=DaggoGroup, name="daggo")
@click.version_option(package_name="daggo", prog_name="daggo", message="%(prog)s %(version)s")
def cli() -> None:
    """daggo: typed DAGs of Python ops with scheduling, queues and an admin UI."""


cli.add_command(run_cmd.run)
cli.add_command(job_cmd.job)
cli.add_command(runs_cmd.runs)
cli.add_command(schedule_cmd.schedule)
cli.add_command(queue_cmd.queue)
cli.add_command(backfill_cmd.backfill)
cli.add_command(backfill_cmd.asset)
cli.add_command(db_cmd.db)
cli.add_command(plugins_cmd.plugins)
cli.add_command(worker_cmd.worker)
cli.add_command(workers_cmd.workers)
cli.add_command(sdk_cmd.sdk)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="daggo")


if __name__ == "__main__":
    main()
