"""`@asset`: an asset defined by the function that makes it, run by a job of its own."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, overload

from attrs import field, frozen

from daggo_core.definitions.asset_specs import (
    AssetCheck,
    AssetSpec,
    Automation,
    asset_check,
    asset_name,
)
from daggo_core.definitions.ops import OpDefinition, op
from daggo_core.definitions.partitions import PartitionsDefinition
from daggo_core.definitions.policies import RetryPolicy

__all__ = ["AssetDefinition", "asset"]


@frozen(kw_only=True, eq=False)
class AssetDefinition:
    """An asset and the op that materializes it. `Definitions(assets=[...])` makes it a
    job named after it (`asset_name(key)`), which loads the values of the assets it
    reads from their latest materializations."""

    spec: AssetSpec
    op: OpDefinition
    partitions: PartitionsDefinition | None = None
    tags: Mapping[str, str] = field(factory=dict)
    max_concurrent_runs: int | None = None
    run_retries: int = 0

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def job_name(self) -> str:
        return asset_name(self.spec.key)

    def __repr__(self) -> str:
        return f"<asset {self.spec.key}>"


@overload
def asset(fn: Callable[..., Any], /) -> AssetDefinition: ...
@overload
def asset(*, key: str | None = None, group: str = "default", owners: Iterable[str] = (),
          description: str | None = None, deps: Iterable[str] = (),
          partitions: PartitionsDefinition | None = None,
          checks: Iterable[AssetCheck | Callable[..., Any]] = (),
          automation: Automation | bool | None = None, max_partitions_per_run: int = 1,
          retry: RetryPolicy | None = None, timeout: float | None = None,
          tags: Mapping[str, str] | None = None, max_concurrent_runs: int | None = None,
          run_retries: int = 0) -> Callable[[Callable[..., Any]], AssetDefinition]: ...


def asset(fn: Callable[..., Any] | None = None, /, *, key: str | None = None,
          group: str = "default", owners: Iterable[str] = (), description: str | None = None,
          deps: Iterable[str] = (), partitions: PartitionsDefinition | None = None,
          checks: Iterable[AssetCheck | Callable[..., Any]] = (),
          automation: Automation | bool | None = None, max_partitions_per_run: int = 1,
          retry: RetryPolicy | None = None, timeout: float | None = None,
          tags: Mapping[str, str] | None = None, max_concurrent_runs: int | None = None,
          run_retries: int = 0,
          ) -> AssetDefinition | Callable[[Callable[..., Any]], AssetDefinition]:
    """Define an asset from the function `(ctx, inp: In) -> Out` that makes it.

    The key defaults to the function's name. The fields of `In` are the values of the
    assets it reads, found by their output types as between ops; `deps` names assets it
    follows without reading them. `partitions` partitions it (`ctx.partition_key`);
    `checks` run after each materialization; `automation` (True, or an `Automation`)
    launches it when an upstream asset materializes. The other keywords are those of
    `dag.op` and `dag.job`.
    """

    def make(asset_fn: Callable[..., Any]) -> AssetDefinition:
        asset_key = key if key is not None else getattr(asset_fn, "__name__", "")
        doc = inspect.getdoc(asset_fn) or ""
        spec = AssetSpec(
            key=asset_key, group=group, owners=tuple(owners),
            description=description if description is not None else doc.split("\n\n")[0],
            deps=tuple(deps), checks=tuple[AssetCheck, ...](
                c if isinstance(c, AssetCheck) else asset_check(c) for c in checks),
            automation=Automation() if automation is True else automation or None,
            tags=dict(tags or {}))
        asset_op = op(asset_name(asset_key) if isinstance(asset_key, str) else "?", asset_fn,
                      description=spec.description, retry=retry, timeout=timeout,
                      assets=[spec], max_partitions_per_run=max_partitions_per_run)
        return AssetDefinition(spec=spec, op=asset_op, partitions=partitions,
                               tags=dict(tags or {}), max_concurrent_runs=max_concurrent_runs,
                               run_retries=run_retries)

    return make if fn is None else make(fn)
