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
        AuthenticatorSpec,
        ExecutorSpec,
        QueueLoaderSpec,
        ResourceSpec,
        StorageBackend,
        UIPanel,
    )
    from daggo_core.storage.records import Event, Run

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("daggo")
hookimpl = pluggy.HookimplMarker("daggo")


# ---------------------------------------------------------------------------
# storage
# ---------------------------------------------------------------------------


@hookspec
def daggo_storage_backends() -> list[StorageBackend]:
    """Return the storage backends this plugin provides.

    Called once when the plugin manager is built. `cfg.database.driver` picks one by name.

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


# ---------------------------------------------------------------------------
# queues
# ---------------------------------------------------------------------------


@hookspec
def daggo_queue_loaders() -> list[QueueLoaderSpec]:
    """Return reusable queue loaders that queue definitions can refer to by name.

    :returns: a list of :class:`daggo_core.extensions.QueueLoaderSpec`.
    """


# ---------------------------------------------------------------------------
# resources
# ---------------------------------------------------------------------------


@hookspec
def daggo_resources() -> list[ResourceSpec]:
    """Return resource classes (clients with set-up and tear-down) this plugin provides.

    :returns: a list of :class:`daggo_core.extensions.ResourceSpec`.
    """


# ---------------------------------------------------------------------------
# auth
# ---------------------------------------------------------------------------


@hookspec
def daggo_authenticators() -> list[AuthenticatorSpec]:
    """Return authenticators for the admin UI and RPC.

    :returns: a list of :class:`daggo_core.extensions.AuthenticatorSpec`.
    """


# ---------------------------------------------------------------------------
# UI
# ---------------------------------------------------------------------------


@hookspec
def daggo_ui_panels() -> list[UIPanel]:
    """Return extra admin UI pages, each mounted at its `path` and listed in the menu.

    :returns: a list of :class:`daggo_core.extensions.UIPanel`.
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


# ---------------------------------------------------------------------------
# run lifecycle
# ---------------------------------------------------------------------------


@hookspec
def daggo_run_event(run: Run, event: Event) -> None:
    """Called after an event of `run` is stored: a run or step transition, or a log line.

    Runs in the process executing the run. Exceptions are logged and do not fail the run.
    May return an awaitable, which daggo awaits.

    :param run: the run as it was when the event was stored.
    :param event: the stored event.
    """
