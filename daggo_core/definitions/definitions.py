"""`Definitions`: everything an app defines, grouped for `daggo_core.run` and the CLI."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from attrs import field, frozen

from daggo_core.definitions.jobs import JobBuilder, JobDefinition
from daggo_core.errors import DefinitionError, JobNotFoundError

__all__ = ["Definitions"]


def _jobs_tuple(value: Iterable[Any]) -> tuple[JobDefinition, ...]:
    return tuple(value)


@frozen(kw_only=True)
class Definitions:
    """The jobs of an app and the resources its ops get (`ctx.resources[name]`).

    `queues` and `assets` are accepted only empty for now: they are refused, saying so,
    until those features exist.
    """

    jobs: tuple[JobDefinition, ...] = field(default=(), converter=_jobs_tuple)
    queues: tuple[Any, ...] = field(default=(), converter=tuple)
    assets: tuple[Any, ...] = field(default=(), converter=tuple)
    resources: Mapping[str, Any] = field(factory=dict)

    def __attrs_post_init__(self) -> None:
        problems = [f"{name} are not available yet; define jobs (and resources) only"
                    for name in ("queues", "assets") if getattr(self, name)]
        seen: set[str] = set()
        given: tuple[object, ...] = self.jobs  # an app without type checking may give anything
        for job in given:
            if isinstance(job, JobBuilder):
                problems.append(f"job {job.name!r} was added without .build(); call .build()")
            elif not isinstance(job, JobDefinition):
                problems.append(f"{job!r} is not a job; build jobs with dag.job(...).build()")
            elif job.name in seen:
                problems.append(f"two jobs are named {job.name!r}")
            else:
                seen.add(job.name)
        if problems:
            raise DefinitionError("Definitions", problems)

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

    @classmethod
    def merge(cls, *items: Definitions | JobDefinition) -> Definitions:
        """Combine Definitions and bare jobs into one Definitions (duplicates are errors)."""
        jobs: list[JobDefinition] = []
        resources: dict[str, Any] = {}
        for item in items:
            if isinstance(item, Definitions):
                jobs.extend(item.jobs)
                twice = sorted(set(resources) & set(item.resources))
                if twice:
                    raise DefinitionError("Definitions.merge", [
                        f"two resources are named {name!r}; give each a name of its own"
                        for name in twice])
                resources.update(item.resources)
            else:
                jobs.append(item)
        return cls(jobs=jobs, resources=resources)
