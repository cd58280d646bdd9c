"""`daggo run`: the full runtime (admin UI, run coordinator, executor)."""

from __future__ import annotations

from pathlib import Path

import click

from daggo_core.cli import hooks_for
from daggo_core.cli.common import app_options, load_app, load_cli_config
from daggo_core.cli.worker_cmd import worker_command_for


@click.command("run")
@app_options
@click.option("--host", help="Listen address (overrides admin.host).")
@click.option("--port", type=int, help="Listen port (overrides admin.port).")
@click.pass_context
def run(ctx: click.Context, config_path: Path | None, app_module: str | None,
        app_file: str | None, host: str | None, port: int | None) -> None:
    """Serve the admin UI and execute runs of the app's jobs until interrupted."""
    import asyncio
    import logging

    from daggo_core.app import open_app
    from daggo_core.web.processes import web_process_link

    cfg = load_cli_config(ctx, config_path)
    if host:
        cfg.admin.host = host
    if port:
        cfg.admin.port = port
    definitions = load_app(cfg, app_module, app_file)
    assert definitions is not None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = open_app(cfg, definitions, hooks=hooks_for(ctx))
    app.worker_command = worker_command_for(config_path, app_module, app_file)
    try:
        listening = app.bind()
    except BaseException:
        app.close()
        raise
    if web_process_link() is None:  # a web process serves quietly beside its primary
        jobs = ", ".join(j.name for j in definitions.jobs) or "none"
        click.echo(f"daggo: {len(definitions.jobs)} job(s): {jobs}")
        processes = cfg.admin.processes
        click.echo(f"daggo: serving {app.url} (storage: {cfg.database.driver}, "
                   f"executor: {cfg.execution.executor}"
                   f"{f', {processes} processes' if processes > 1 else ''})")
    asyncio.run(app.serve(listening=listening))
