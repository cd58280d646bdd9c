"""The runtime in the ASGI lifespan: served by any ASGI server, or mounted in a host that
forwards its lifespan, daggo's ASGI app starts and stops the app's runtime itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quart import Quart

if TYPE_CHECKING:
    from daggo_core.app import DaggoApp

__all__ = ["run_in_lifespan"]


def run_in_lifespan(web: Quart, app: DaggoApp) -> None:
    """Start `app`'s runtime (coordinator, monitor, scheduler) at `web`'s lifespan
    start-up and stop it at shutdown; a runtime already started (`DaggoApp.serve`, a
    host's `app.lifespan`) is left as it is at start-up."""
    web.before_serving(app.start)
    web.after_serving(app.stop)
