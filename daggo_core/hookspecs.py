"""Hook specifications: every way a plugin can extend daggo.

Registration hooks return lists of small descriptors with a `name`; daggo keys them by
name and refuses duplicates. Runtime hooks may return awaitables. Specs only ever gain
arguments; an implementation declares the subset it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from daggo_core.extensions import (
        Authenticator,
        ExecutorSpec,
        QueueLoaderSpec,
        ServiceSpec,
        StorageBackend,
        UIPanel,
    )
    from daggo_core.settings import ConfigSection
    from daggo_core.storage.records import Event, Run

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("daggo")
hookimpl = pluggy.HookimplMarker("daggo")


# ---------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------


@hookspec
def daggo_config_sections() -> list[ConfigSection]:
    """Return the tables of settings this plugin adds to daggo's configuration.

    Called when a config is loaded. Each `ConfigSection` names its place (e.g.
    `database.sqlite`) and its settings class (made with `daggo_core.settings`); its
    settings are read from the file and from `DAGGO_*` variables like core's own.

    :returns: a list of :class:`daggo_core.settings.ConfigSection`.
    """


# ---------------------------------------------------------------------------
# storage
# ---------------------------------------------------------------------------


@hookspec
def daggo_storage_backends() -> list[StorageBackend]:
    """Return the storage backends this plugin provides.

    Called once when the app opens storage. `cfg.database.driver` picks one by name.

    :returns: a list of :class:`daggo_core.extensions.StorageBackend`.
    """


# ---------------------------------------------------------------------------
# execution
# ---------------------------------------------------------------------------


@hookspec
def daggo_executors() -> list[ExecutorSpec]:
    """Return the executors this plugin provides.

    Called once at start-up. `cfg.execution.executor` picks one by name.

    :returns: a list of :class:`daggo_core.extensions.ExecutorSpec`.
    """


@hookspec
def daggo_queue_loaders() -> list[QueueLoaderSpec]:
    """Return the ready-made queue loaders this plugin provides.

    `daggo_core.queue_loader(name, **options)` builds one for `Queue.loader`.

    :returns: a list of :class:`daggo_core.extensions.QueueLoaderSpec`.
    """


# ---------------------------------------------------------------------------
# RPC services
# ---------------------------------------------------------------------------


@hookspec
def daggo_services() -> list[ServiceSpec]:
    """Return the RPC services this plugin adds to daggo's API.

    Called once when an app (or a command's services) opens; each factory is called
    then with the app's service context. Every method of a service is served as
    `POST /rpc/<Service>.<Method>` and appears in `/rpc/openapi.json` and `/rpc/docs/`
    like daggo's own. A name taken by daggo or by another plugin is refused.

    :returns: a list of :class:`daggo_core.extensions.ServiceSpec`.
    """


# ---------------------------------------------------------------------------
# UI
# ---------------------------------------------------------------------------


@hookspec
def daggo_ui_panels() -> list[UIPanel]:
    """Return extra admin UI pages, each mounted at its `path` and listed in the menu.

    Called when the admin UI is built. Each page's `render` is called for every request
    of it with a :class:`daggo_core.extensions.PanelContext`.

    :returns: a list of :class:`daggo_core.extensions.UIPanel`.
    """


@hookspec
def daggo_authenticators() -> list[Authenticator]:
    """Return the authenticators this plugin provides.

    Called once when the admin application is built. `cfg.admin.authenticator` picks one
    by name (the built-in `bearer` one by default); it checks every request but
    `/healthz` and the login page.

    :returns: a list of :class:`daggo_core.extensions.Authenticator`.
    """


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------


@hookspec
def daggo_cli_commands() -> list[click.Command]:
    """Return click commands (or groups) to add to the `daggo` command line.

    Called when the CLI starts; each command's `name` must be unique.

    :returns: a list of :class:`click.Command`.
    """


@hookspec
def daggo_worker_commands() -> list[click.Command]:
    """Return click commands that start workers of a kind, as `daggo worker <name>`.

    Called when `daggo worker` is given a subcommand, e.g. `daggo worker celery`; each
    command's `name` must be unique. A command loads the app with
    `daggo_core.cli.worker_cmd.load_worker_app` (its options:
    `daggo_core.cli.common.app_options`) and executes the runs it is handed with
    `daggo_core.execution.claimed_run.ClaimedRun`.

    :returns: a list of :class:`click.Command`.
    """


# ---------------------------------------------------------------------------
# run lifecycle
# ---------------------------------------------------------------------------


@hookspec
def daggo_run_event(run: Run, event: Event) -> None:
    """Called for every event of a run stored by this process: a run or step transition,
    or a log line (in a worker, the run's steps; in a server, launches and their ends).

    Called off the engine's threads, once per event, in the order stored: a sync
    implementation on a daemon thread of its own, an `async def` one on daggo's event
    thread (shared by the async listeners: await, never block). A slow implementation
    delays neither the run nor other listeners; an exception is
    logged and changes nothing. Events still queued when the process stops are delivered
    first (for up to 30 s).

    :param run: the run as stored when the event is delivered (at least as recent as the
        event).
    :param event: the stored event.
    """
