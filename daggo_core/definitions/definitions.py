"""`Definitions`: everything an app defines, grouped for `daggo_core.run` and the CLI."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from attrs import field, frozen

from daggo_core.definitions.asset_graph import AssetGraph, build_asset_graph
from daggo_core.definitions.asset_specs import AssetSpec
from daggo_core.definitions.assets import AssetDefinition
from daggo_core.definitions.jobs import JobBuilder, JobDefinition
from daggo_core.definitions.queues import Queue, QueueDefinition
from daggo_core.errors import DefinitionError, JobNotFoundError, QueueNotFoundError

__all__ = ["Definitions"]


def _jobs_tuple(value: Iterable[Any]) -> tuple[JobDefinition, ...]:
    return tuple(value)


def _assets_tuple(value: Iterable[Any]) -> tuple[AssetDefinition | AssetSpec, ...]:
    return tuple(value)


def _queues_tuple(value: Iterable[Any]) -> tuple[QueueDefinition[Any], ...]:
    return tuple(value)


@frozen(kw_only=True)
class Definitions:
    """The jobs, queues and assets of an app and the resources its ops get
    (`ctx.resources[name]`).

    Every job a queue attaches is one of `jobs`. `assets` holds `@asset`s, each run by a
    job of its own that `jobs` then includes, and `AssetSpec`s of assets made outside
    daggo; assets the ops of `jobs` declare join them in `asset_graph`.
    """

    jobs: tuple[JobDefinition, ...] = field(default=(), converter=_jobs_tuple)
    queues: tuple[QueueDefinition[Any], ...] = field(default=(), converter=_queues_tuple)
    assets: tuple[AssetDefinition | AssetSpec, ...] = field(default=(),
                                                             converter=_assets_tuple)
    resources: Mapping[str, Any] = field(factory=dict)
    asset_graph: AssetGraph = field(init=False, default=AssetGraph({}))

    def __attrs_post_init__(self) -> None:
        problems: list[str] = []
        jobs: dict[str, JobDefinition] = {}
        given: tuple[object, ...] = self.jobs  # an app without type checking may give anything
        for job in given:
            if isinstance(job, JobBuilder):
                problems.append(f"job {job.name!r} was added without .build(); call .build()")
            elif not isinstance(job, JobDefinition):
                problems.append(f"{job!r} is not a job; build jobs with dag.job(...).build()")
            elif job.name in jobs:
                problems.append(f"two jobs are named {job.name!r}")
            else:
                jobs[job.name] = job
        problems.extend(_queue_problems(self.queues, jobs))
        graph, asset_jobs, asset_problems = build_asset_graph(list(jobs.values()), self.assets)
        problems.extend(asset_problems)
        if problems:
            raise DefinitionError("Definitions", problems)
        # The jobs made for assets run like any other: they join `jobs`.
        object.__setattr__(self, "jobs", (*self.jobs, *asset_jobs))
        object.__setattr__(self, "asset_graph", graph)

    @functools.cached_property
    def jobs_by_name(self) -> Mapping[str, JobDefinition]:
        """The jobs by name (built once)."""
        return MappingProxyType({job.name: job for job in self.jobs})

    def job(self, name: str) -> JobDefinition:
        """Return the job named `name`; raises JobNotFoundError listing the known jobs."""
        found = self.jobs_by_name.get(name)
        if found is not None:
            return found
        known = ", ".join(sorted(j.name for j in self.jobs)) or "none"
        raise JobNotFoundError(f"no job named {name!r} (defined jobs: {known})")

    @functools.cached_property
    def queues_by_name(self) -> Mapping[str, QueueDefinition[Any]]:
        """The queues by name (built once)."""
        return MappingProxyType({queue.name: queue for queue in self.queues})

    def queue(self, name: str) -> QueueDefinition[Any]:
        """Return the queue named `name`; raises QueueNotFoundError listing the known
        queues."""
        found = self.queues_by_name.get(name)
        if found is not None:
            return found
        known = ", ".join(sorted(q.name for q in self.queues)) or "none"
        raise QueueNotFoundError(f"no queue named {name!r} (defined queues: {known})")

    @classmethod
    def merge(cls, *items: Definitions | JobDefinition | QueueDefinition[Any] | AssetDefinition
              | AssetSpec) -> Definitions:
        """Combine Definitions, bare jobs, queues and assets into one Definitions
        (duplicates are errors)."""
        jobs: list[JobDefinition] = []
        queues: list[QueueDefinition[Any]] = []
        assets: list[object] = []
        resources: dict[str, Any] = {}
        for item in items:
            if isinstance(item, Definitions):
                jobs.extend(job for job in item.jobs if job.asset_key is None)
                queues.extend(item.queues)
                assets.extend(item.assets)
                twice = sorted(set(resources) & set(item.resources))
                if twice:
                    raise DefinitionError("Definitions.merge", [
                        f"two resources are named {name!r}; give each a name of its own"
                        for name in twice])
                resources.update(item.resources)
            elif isinstance(item, QueueDefinition):
                queues.append(item)
            elif isinstance(item, AssetDefinition | AssetSpec):
                assets.append(item)
            else:
                jobs.append(item)
        return cls(jobs=jobs, queues=queues, assets=assets, resources=resources)


def _queue_problems(queues: tuple[object, ...], jobs: Mapping[str, JobDefinition]) -> list[str]:
    """Queues that are not built, share a name or a route, or attach a job missing from
    `jobs`."""
    problems: list[str] = []
    names: set[str] = set()
    route_owners: dict[str, str] = {}
    for queue in queues:
        if isinstance(queue, Queue):
            problems.append(f"queue {queue.name!r} was added without .build(); call .build()")
            continue
        if not isinstance(queue, QueueDefinition):
            problems.append(f"{queue!r} is not a queue; build queues with "
                            "Queue[Payload](name)...build()")
            continue
        if queue.name in names:
            problems.append(f"two queues are named {queue.name!r}")
            continue
        names.add(queue.name)
        paths: set[str] = set()
        for route in queue.routes:
            owner = route_owners.setdefault(route.path, queue.name)
            if route.path in paths:
                problems.append(f"queue {queue.name!r} declares the route {route.path!r} twice")
            elif owner != queue.name:
                problems.append(f"queues {owner!r} and {queue.name!r} both declare the route "
                                f"{route.path!r}; give each route a path of its own")
            paths.add(route.path)
        for job in queue.jobs:
            known = jobs.get(job.name)
            if known is None:
                problems.append(f"queue {queue.name!r} attaches job {job.name!r}, which is not "
                                "in Definitions(jobs=...); add it")
            elif known is not job:
                problems.append(f"queue {queue.name!r} attaches a job {job.name!r} other than "
                                "the one in Definitions(jobs=...); attach that same job")
    for path, owner in route_owners.items():
        parts = path.split("/")
        if len(parts) > 2 and parts[1] == "queues" and parts[2] in names:
            problems.append(f"queue {owner!r}: the route {path!r} would hide the admin's page "
                            f"of queue {parts[2]!r} (/queues/{parts[2]}); use another path, "
                            "e.g. '/ingest/...'")
    return problems
