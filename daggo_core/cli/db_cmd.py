"""`daggo db upgrade`."""

from __future__ import annotations

from pathlib import Path

import click

from daggo_core.cli.common import config_option, load_cli_config, services_for


@click.group("db")
def db() -> None:
    """Manage the database."""


@db.command("upgrade")
@config_option
@click.pass_context
def upgrade(ctx: click.Context, config_path: Path | None) -> None:
    """Apply pending migrations (also done automatically at start-up)."""
    cfg = load_cli_config(ctx, config_path)
    with services_for(ctx, cfg):  # opening the storage migrates it
        pass
    click.echo(f"database ({cfg.database.driver}) is at the latest schema version")
