"""`daggo plugins`: installed plugins, their distributions, versions and hooks."""

from __future__ import annotations

import json

import click

from daggo_core.cli import hooks_for
from daggo_core.services.plugins import PluginsGetManyResponse, PluginsService

__all__ = ["plugins"]


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List installed plugins and the hooks they implement, and plugins that failed to load.

    Always exits 0: a plugin that fails to import is reported, not fatal here.
    """
    hooks = hooks_for(ctx)
    report = PluginsService(hooks).get_many()
    if as_json:
        tracebacks = {failure.name: failure.traceback for failure in hooks.failures}
        click.echo(json.dumps(_as_dict(report, tracebacks), indent=2))
    else:
        _print_tables(report)


def _as_dict(report: PluginsGetManyResponse,
             tracebacks: dict[str, str]) -> dict[str, list[dict[str, object]]]:
    return {
        "plugins": [
            {"name": p.name, "distribution": p.distribution, "version": p.version,
             "hooks": list(p.hooks)}
            for p in report.plugins
        ],
        "failures": [
            {"name": f.name, "distribution": f.distribution, "version": f.version,
             "error": f.error, "traceback": tracebacks.get(f.name, "")}
            for f in report.failures
        ],
    }


def _print_tables(report: PluginsGetManyResponse) -> None:
    # Rich is imported here so `daggo` starts fast for commands that do not print tables.
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    table = Table(title="Installed plugins", title_justify="left")
    table.add_column("Plugin", no_wrap=True)
    table.add_column("Distribution", no_wrap=True)
    table.add_column("Version", no_wrap=True)
    table.add_column("Hooks")
    for info in report.plugins:
        table.add_row(info.name, info.distribution, info.version, "\n".join(info.hooks) or "-")
    console.print(table)
    if not report.failures:
        return
    failed = Table(title="Plugins that failed to load", title_justify="left")
    failed.add_column("Plugin", no_wrap=True, style="red")
    failed.add_column("Distribution", no_wrap=True)
    failed.add_column("Version", no_wrap=True)
    failed.add_column("Error", overflow="fold")
    for failure in report.failures:
        failed.add_row(failure.name, failure.distribution, failure.version, failure.error)
    console.print(failed)
