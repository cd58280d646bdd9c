"""The assets of an app as one graph: who makes each, what each depends on, and the job
made for each `@asset`.

An asset is made by an `@asset` (its own job), by an op of a job that declares it, or
outside daggo (an `AssetSpec` given alone, only observed). Lineage follows the values
read (an `@asset`'s input fields, found by type; the ops between two assets of one job)
and the `deps` declared. The job of an `@asset` reads the values of its upstream assets
from their latest materializations: each is a sourced op of the job (`add_sourced`).
"""

from __future__ import annotations

import typing
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import attrs
from attrs import frozen

from daggo_core.definitions.asset_snapshot import AssetKind, AssetSnapshot, CheckSnapshot
from daggo_core.definitions.asset_specs import AssetSpec, asset_name
from daggo_core.definitions.assets import AssetDefinition
from daggo_core.definitions.jobs import JobBuilder, JobDefinition, input_wiring, type_label
from daggo_core.definitions.names import NoInput
from daggo_core.definitions.ops import OpDefinition
from daggo_core.definitions.partitions import PartitionsDefinition
from daggo_core.definitions.snapshot import Wiring
from daggo_core.errors import DefinitionError

__all__ = ["AssetGraph", "AssetNode", "build_asset_graph"]


@frozen(kw_only=True, eq=False)
class AssetNode:
    """One asset: how it is made, by which job and op, and its direct upstream assets:
    those whose values it reads (`upstream`) and those it only follows (`deps`)."""

    key: str
    spec: AssetSpec
    kind: AssetKind
    job_name: str | None = None
    op_name: str | None = None
    partitions: PartitionsDefinition | None = None
    upstream: tuple[str, ...] = ()
    deps: tuple[str, ...] = ()
    output_type: Any = None
    max_partitions_per_run: int = 1

    @property
    def all_upstream(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.upstream, *self.deps)))

    def snapshot(self) -> AssetSnapshot:
        """What storage keeps of the asset."""
        automation = self.spec.automation
        return AssetSnapshot(
            kind=self.kind, owners=self.spec.owners, upstream=self.upstream, deps=self.deps,
            output_type=type_label(self.output_type),
            partitions=None if self.partitions is None else self.partitions.snapshot(),
            partitions_description="" if self.partitions is None
            else self.partitions.describe(),
            max_partitions_per_run=self.max_partitions_per_run,
            checks=tuple(CheckSnapshot(name=c.name, description=c.description,
                                       blocking=c.blocking) for c in self.spec.checks),
            automation_debounce_seconds=None if automation is None
            else float(automation.debounce),
            tags=dict(self.spec.tags))


class AssetGraph:
    """Every asset of an app, by key, with the edges between them."""

    def __init__(self, nodes: Mapping[str, AssetNode]) -> None:
        self.nodes = dict(nodes)
        self._downstream: dict[str, list[str]] = {key: [] for key in self.nodes}
        for node in self.nodes.values():
            for up in node.all_upstream:
                if up in self._downstream:
                    self._downstream[up].append(node.key)

    def downstream(self, key: str) -> tuple[str, ...]:
        """The assets that depend directly on `key`."""
        return tuple(self._downstream.get(key, ()))

    def of_job(self, job_name: str) -> dict[str, AssetNode]:
        """The assets job `job_name` materializes, by key."""
        return {k: n for k, n in self.nodes.items() if n.job_name == job_name}


def build_asset_graph(
    jobs: Sequence[JobDefinition], assets: Iterable[object]
) -> tuple[AssetGraph, tuple[JobDefinition, ...], list[str]]:
    """The asset graph of `jobs` and `assets` (AssetDefinitions and AssetSpecs), the
    job of each AssetDefinition, and every problem found."""
    problems: list[str] = []
    nodes: dict[str, AssetNode] = {}
    made_by: dict[str, str] = {}  # asset key -> what makes it, for duplicate messages
    definitions: list[AssetDefinition] = []

    def add(node: AssetNode, maker: str) -> None:
        if node.key in nodes:
            problems.append(f"asset {node.key!r} is defined twice: by {made_by[node.key]} "
                            f"and by {maker}; each asset has one definition")
            return
        nodes[node.key] = node
        made_by[node.key] = maker

    for job in jobs:
        for node in _job_assets(job):
            add(node, f"op {node.op_name!r} of job {job.name!r}")
    for item in assets:
        if isinstance(item, AssetDefinition):
            problems.extend(item.spec.problems(f"asset {item.key!r}"))
            definitions.append(item)
            add(AssetNode(key=item.key, spec=item.spec, kind=AssetKind.ASSET,
                          job_name=item.job_name, op_name=item.op.name,
                          partitions=item.partitions, output_type=item.op.output_type,
                          max_partitions_per_run=item.op.max_partitions_per_run),
                f"@asset {item.key!r}")
        elif isinstance(item, AssetSpec):
            problems.extend(item.problems(f"asset {item.key!r}"))
            if item.automation is not None or item.checks:
                problems.append(f"asset {item.key!r} is made outside daggo (an AssetSpec "
                                "alone): it cannot have checks or automation; define it "
                                "with @asset for those")
            add(AssetNode(key=item.key, spec=item, kind=AssetKind.EXTERNAL,
                          deps=item.deps), f"AssetSpec {item.key!r}")
        else:
            problems.append(f"{item!r} is not an asset; define assets with @asset, or "
                            "AssetSpec for one made outside daggo")
    producers = _producers(nodes.values())
    for definition in definitions:
        made = nodes.get(definition.key)
        if made is None or made.kind is not AssetKind.ASSET:
            continue
        nodes[definition.key] = attrs.evolve(
            made, upstream=_reads(definition, producers, problems), deps=definition.spec.deps)
    problems.extend(_lineage_problems(nodes))
    graph = AssetGraph(nodes)
    asset_jobs: list[JobDefinition] = []
    job_names = {job.name for job in jobs}
    for definition in definitions:
        if definition.job_name in job_names:
            problems.append(f"asset {definition.key!r}: its job would be named "
                            f"{definition.job_name!r}, like a job already defined; rename "
                            "one of them")
            continue
        node = nodes[definition.key]
        if node.kind is not AssetKind.ASSET:  # defined twice: reported above
            continue
        problems.extend(_partition_problems(node, nodes))
        try:
            asset_jobs.append(_asset_job(definition, node, nodes))
        except DefinitionError as exc:
            problems.extend(exc.problems)
    return graph, tuple(asset_jobs), problems


def _job_assets(job: JobDefinition) -> list[AssetNode]:
    """The assets the ops of `job` declare, each upstream of the next asset ops it feeds
    (through ops that declare none)."""
    found: list[AssetNode] = []
    for name in job.asset_ops():
        op = job.ops[name]
        upstream: dict[str, None] = {}
        frontier = list(job.upstream(name))
        seen: set[str] = set()
        while frontier:
            producer = frontier.pop()
            if producer in seen:
                continue
            seen.add(producer)
            if job.ops[producer].assets:
                upstream.update(dict.fromkeys(s.key for s in job.ops[producer].assets))
            else:
                frontier.extend(job.upstream(producer))
        for spec in op.assets:
            found.append(AssetNode(
                key=spec.key, spec=spec, kind=AssetKind.OP, job_name=job.name, op_name=name,
                partitions=job.partitions, upstream=tuple(upstream), deps=spec.deps,
                output_type=op.output_type, max_partitions_per_run=job.max_partitions_per_run))
    return found


def _producers(nodes: Collection[AssetNode]) -> dict[Any, list[str]]:
    """Asset keys by the type of the value their op returns (ops making one asset)."""
    makers: dict[tuple[str | None, str | None], int] = {}
    for node in nodes:
        makers[node.job_name, node.op_name] = makers.get((node.job_name, node.op_name), 0) + 1
    by_type: dict[Any, list[str]] = {}
    for node in nodes:
        if node.output_type is not None and makers[node.job_name, node.op_name] == 1:
            by_type.setdefault(node.output_type, []).append(node.key)
    return by_type


def _reads(definition: AssetDefinition, producers: Mapping[Any, list[str]],
           problems: list[str]) -> tuple[str, ...]:
    """The assets whose values the input fields of `definition`'s function read."""
    op = definition.op
    if op.problems or op.input_type is NoInput or not attrs.has(op.input_type):
        return ()
    label = f"asset {definition.key!r}"
    reads: dict[str, None] = {}
    hints = typing.get_type_hints(op.input_type)
    for f in attrs.fields(op.input_type):
        tp = hints.get(f.name, f.type)
        wiring, produced = input_wiring(tp)
        where = f"{label} input field {f.name!r} ({type_label(tp)})"
        found = [key for key in producers.get(produced, []) if key != definition.key]
        if wiring is Wiring.MANY:
            problems.append(f"{where}: an asset reads one value of each asset upstream; "
                            f"type it {type_label(produced)}")
        elif not found:
            problems.append(f"{where}: no asset produces {type_label(produced)}; define "
                            "the asset that returns it, or list an asset it follows without "
                            "reading in deps=[...]")
        elif len(found) > 1:
            problems.append(f"{where}: ambiguous, produced by the assets "
                            f"{', '.join(found)}; give each its own output type")
        else:
            reads[found[0]] = None
    return tuple(reads)


def _lineage_problems(nodes: Mapping[str, AssetNode]) -> list[str]:
    """Dependencies on assets not defined, and cycles."""
    problems = []
    for node in nodes.values():
        for dep in node.deps:
            if dep not in nodes:
                problems.append(f"asset {node.key!r} deps: no asset {dep!r} is defined; "
                                "define it, or declare it with AssetSpec if it is made "
                                "outside daggo")
    state: dict[str, int] = {}  # 1: on the walk's path, 2: done

    def visit(key: str, path: list[str]) -> list[str] | None:
        state[key] = 1
        for up in nodes[key].all_upstream:
            if up not in nodes:
                continue
            if state.get(up) == 1:
                return [*path[path.index(up):], up] if up in path else [up, key, up]
            if up not in state:
                cycle = visit(up, [*path, up])
                if cycle:
                    return cycle
        state[key] = 2
        return None

    for key in nodes:
        if key not in state:
            cycle = visit(key, [key])
            if cycle:
                problems.append("the assets form a cycle: " + " <- ".join(cycle))
                break
    return problems


def _partition_problems(node: AssetNode, nodes: Mapping[str, AssetNode]) -> list[str]:
    """An asset reading a partitioned asset's value must be partitioned alike, one key
    per run: then its run reads that same partition."""
    problems = []
    for up in node.upstream:
        upstream = nodes[up]
        if upstream.partitions is None:
            continue
        label = f"asset {node.key!r} reads the value of asset {up!r}, which is partitioned"
        if node.partitions is None or node.partitions.snapshot() != upstream.partitions.snapshot():
            problems.append(f"{label} ({upstream.partitions.describe()}): partition it the "
                            "same way, or follow it without reading it (deps=[...])")
        elif node.max_partitions_per_run > 1:
            problems.append(f"{label}: a run of it reads one partition's value, so it "
                            "cannot cover a range (max_partitions_per_run must be 1)")
    return problems


def _asset_job(definition: AssetDefinition, node: AssetNode,
               nodes: Mapping[str, AssetNode]) -> JobDefinition:
    """The job of an `@asset`: its op, with each asset it reads as a sourced op."""
    builder = JobBuilder(definition.job_name, description=definition.spec.description,
                         tags=definition.tags, partitions=definition.partitions,
                         max_concurrent_runs=definition.max_concurrent_runs,
                         run_retries=definition.run_retries)
    builder.add(definition.op).for_asset(definition.key)
    for up in node.upstream:
        upstream = nodes[up]
        builder.add_sourced(OpDefinition(
            name=asset_name(up), fn=_never_called, input_type=NoInput,
            output_type=upstream.output_type,
            description=f"the latest materialization of asset {up}"), up)
    return builder.build()


def _never_called(ctx: object, inp: object) -> None:
    raise RuntimeError("a sourced op is loaded from its asset, never executed")
