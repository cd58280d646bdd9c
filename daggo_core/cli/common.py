"""Options and helpers shared by the CLI commands: config, services (of the database or
of a server) and app loading."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from daggo_core.cli import hooks_for
from daggo_core.config import Config, load_config
from daggo_core.definitions.definitions import Definitions
from daggo_core.loading import load_definitions
from daggo_core.services import Services, open_services
from daggo_core.services.api import ServicesApi

__all__ = ["app_options", "command_services", "config_option", "console", "load_app",
           "load_cli_config", "moment_option", "server_options", "server_url",
           "services_for"]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def console() -> Console:
    """A Rich console; when stdout is not a terminal it prints plainly, 120 columns wide."""
    plain = Console(highlight=False)
    return plain if plain.is_terminal else Console(highlight=False, width=120)


def config_option(fn: F) -> F:
    return click.option(
        "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
        help="Config file (default: ./daggo.toml or [tool.daggo] in ./pyproject.toml).",
    )(fn)


def app_options(fn: F) -> F:
    fn = click.option("-f", "--file", "app_file", metavar="FILE.py[:ATTR]",
                      help="Python file defining the app's jobs.")(fn)
    fn = click.option("-m", "--module", "app_module", metavar="PKG.MODULE[:ATTR]",
                      help="Module defining the app's jobs (default: `app` in config).")(fn)
    return config_option(fn)


_URL, _TOKEN = "daggo.server_url", "daggo.server_token"


def _remember(key: str) -> Callable[[click.Context, click.Parameter, str | None], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        ctx.meta[key] = value or None

    return callback


def server_options(fn: F) -> F:
    """`--url` (env DAGGO_URL) and `--token` (env DAGGO_TOKEN): run the command against a
    daggo server through its RPC API; read back with `server_url` and `command_services`."""
    fn = click.option("--token", envvar="DAGGO_TOKEN", metavar="SECRET", expose_value=False,
                      callback=_remember(_TOKEN),
                      help="Bearer token for --url: the server's admin.secret_key "
                      "(default: $DAGGO_TOKEN).")(fn)
    return click.option("--url", envvar="DAGGO_URL", metavar="URL", expose_value=False,
                        callback=_remember(_URL),
                        help="Work against the daggo server at URL (e.g. "
                        "http://127.0.0.1:8000) instead of the database "
                        "(default: $DAGGO_URL).")(fn)


def server_url(ctx: click.Context) -> str | None:
    """The server this command works against (--url or DAGGO_URL), if any."""
    url: str | None = ctx.meta.get(_URL)
    return url


@contextlib.contextmanager
def command_services(ctx: click.Context, config_path: Path | None, *,
                     app: tuple[str | None, str | None] | None = None,
                     app_required: bool = False) -> Iterator[ServicesApi]:
    """The services a command calls: the server's with `--url`, else those over the
    configured database, with the app's definitions when `app` (-m, -f) is given or
    config names one (required: `app_required`).

    A server works with its own config and code, so `--config`, `-m` and `-f` are refused
    with `--url`.
    """
    url = server_url(ctx)
    if url is None:
        cfg = load_cli_config(ctx, config_path)
        definitions = None if app is None else load_app(cfg, *app, required=app_required)
        with services_for(ctx, cfg, definitions) as services:
            yield services
        return
    given = [option for option, value in (("--config", config_path),
                                          ("-m/--module", app and app[0]),
                                          ("-f/--file", app and app[1])) if value]
    if given:
        raise click.UsageError(f"{', '.join(given)} cannot be used with --url (or DAGGO_URL): "
                               "the server works with its own config and code")
    from daggo_core.client import RemoteServices  # HTTP is loaded only for a server

    with RemoteServices(url, ctx.meta.get(_TOKEN)) as remote:
        yield remote


def load_cli_config(ctx: click.Context, config_path: Path | None) -> Config:
    """The configuration, with the tables of this invocation's plugins."""
    return load_config(config_path, sections=list(hooks_for(ctx).config_sections().values()))


def load_app(cfg: Config, app_module: str | None, app_file: str | None,
             *, required: bool = True) -> Definitions | None:
    """The app's Definitions from -m/-f, else from `app` in config; None if optional and unset."""
    if app_module or app_file:
        return load_definitions(app_module, app_file)
    if cfg.app:
        return load_definitions(cfg.app)
    if required:
        return load_definitions(None, None)
    return None


@contextlib.contextmanager
def services_for(ctx: click.Context, cfg: Config,
                 definitions: Definitions | None = None) -> Iterator[Services]:
    """The services over the configured database, for the length of a command."""
    with open_services(cfg, hooks_for(ctx), definitions) as services:
        yield services


def collect_pages(fetch: Callable[[str | None, int], tuple[Sequence[T], str | None]], *,
                  page_max: int, limit: int | None = None) -> list[T]:
    """Up to `limit` items (all without one), page after page: `fetch(cursor, size)`
    returns a page's items and its next cursor (None on the last page)."""
    found: list[T] = []
    cursor: str | None = None
    while limit is None or len(found) < limit:
        size = page_max if limit is None else min(page_max, limit - len(found))
        items, cursor = fetch(cursor, size)
        found.extend(items)
        if cursor is None:
            break
    return found


def moment_option(value: str | None, option: str) -> dt.datetime | None:
    """The time an ISO date or time option gives (UTC unless it names a zone), or None;
    click's BadParameter naming `option` for anything else."""
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date or time, e.g. 2026-12-01 or "
                                 "2026-12-01T08:30", param_hint=option) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

