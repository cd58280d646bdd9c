"""Services over a storage a test opened itself, as front ends get them from an app."""

from __future__ import annotations

from daggo_core.config import Config, default_config
from daggo_core.definitions.definitions import Definitions
from daggo_core.plugins import make_plugin_manager
from daggo_core.services import ServiceContext, Services
from daggo_core.services.jobs import JobsLaunchRequest
from daggo_core.services.runs import RunSummary
from daggo_core.storage.base import Storage

__all__ = ["launch", "services_over"]


def services_over(storage: Storage, definitions: Definitions | None = None, *,
                  config: Config | None = None) -> Services:
    """Services over `storage` (left open: the test closes it), with the default config
    unless one is given and the installed plugins."""
    return Services.over(ServiceContext(storage=storage, config=config or default_config(),
                                        hooks=make_plugin_manager(), definitions=definitions))


def launch(storage: Storage, job: str, definitions: Definitions | None = None,
           **params: object) -> RunSummary:
    """Queue a run of `job` as `daggo job launch` does; returns it."""
    request = JobsLaunchRequest(job=job, params=dict(params))
    return services_over(storage, definitions).jobs.launch(request).run
