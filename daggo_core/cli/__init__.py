"""The `daggo` command line; `hooks_for` gives any command this invocation's plugins."""

from __future__ import annotations

import click

from daggo_core.plugins import Hooks, make_plugin_manager

__all__ = ["hooks_for"]


def hooks_for(ctx: click.Context) -> Hooks:
    """The `Hooks` of this invocation: `ctx.obj` if it is one, else built once and kept.

    Tests and embedding apps pass a prebuilt manager with `cli.main(obj=hooks)` (or
    `CliRunner().invoke(cli, args, obj=hooks)`); otherwise entry points are loaded lazily,
    the first time a command asks.
    """
    hooks = ctx.find_object(Hooks)
    if hooks is None:
        hooks = make_plugin_manager()
        root = ctx.find_root()
        if root.obj is None:
            root.obj = hooks
    return hooks
