"""Jobs: typed DAGs of ops, wired by their input field types and validated at build time."""

from __future__ import annotations

import datetime as dt
import heapq
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from attrs import field, frozen

from daggo_core.definitions.ops import NoInput, OpDefinition, name_problem
from daggo_core.definitions.params_check import (
    check_params,
    structure_checked,
    takes_no_params,
)
from daggo_core.definitions.params_schema import ParamsSchema, params_schema
from daggo_core.definitions.partitions import PartitionsDefinition
from daggo_core.definitions.schedules import (
    CatchUp,
    Overlap,
    ScheduleDefinition,
    ScheduleParams,
    schedule_problems,
    schedule_snapshot,
)
from daggo_core.definitions.snapshot import (
    InputSnapshot,
    JobSnapshot,
    OpSnapshot,
    Wiring,
)
from daggo_core.errors import DefinitionError, ParamsError
from daggo_core.serde import unserializable_reasons, unstructure

__all__ = ["InputBinding", "JobBuilder", "JobDefinition", "input_wiring", "type_label"]


@frozen(kw_only=True)
class InputBinding:
    """One input field of an op and the ops (in topological order) that feed it."""

    field: str
    type: Any
    wiring: Wiring
    producers: tuple[str, ...]


@frozen(kw_only=True, eq=False)
class JobDefinition:
    """A validated job. Build one with `dag.job(name).add(...).build()`."""

    name: str
    description: str = ""
    ops: Mapping[str, OpDefinition]
    order: tuple[str, ...]
    inputs: Mapping[str, tuple[InputBinding, ...]]
    schedules: tuple[ScheduleDefinition, ...] = ()
    params_type: type | None = None
    tags: Mapping[str, str] = field(factory=dict)
    max_concurrent_runs: int | None = None
    max_concurrent_steps: int | None = None
    timeout: float | None = None
    run_retries: int = 0
    partitions: PartitionsDefinition | None = None
    #: Ops whose output is not computed but loaded from the latest materialization of
    #: an asset (op name -> asset key): the upstream assets of an asset's job.
    sourced: Mapping[str, str] = field(factory=dict)
    #: The asset this job was made for (by `@asset`), if any.
    asset_key: str | None = None

    @property
    def max_partitions_per_run(self) -> int:
        """How many partitions one run may cover: what every op it executes allows."""
        if self.partitions is None:
            return 1
        return min((op.max_partitions_per_run for name, op in self.ops.items()
                    if name not in self.sourced), default=1)

    def asset_ops(self) -> dict[str, tuple[str, ...]]:
        """The assets each op the job executes materializes (op name -> asset keys)."""
        return {name: tuple(spec.key for spec in op.assets)
                for name, op in self.ops.items() if op.assets and name not in self.sourced}

    def downstream(self, op_name: str) -> tuple[str, ...]:
        """Names of every op that depends, directly or not, on `op_name`, in order."""
        reached = {op_name}
        for name in self.order:
            if name != op_name and any(u in reached for u in self.upstream(name)):
                reached.add(name)
        return tuple(n for n in self.order if n in reached and n != op_name)

    def upstream(self, op_name: str) -> tuple[str, ...]:
        """Names of the ops `op_name` reads from, in topological order, without repeats."""
        seen: dict[str, None] = {}
        for binding in self.inputs[op_name]:
            for producer in binding.producers:
                seen[producer] = None
        return tuple(seen)

    def make_params(self, params: Any = None) -> Any:
        """Validate launch parameters against the job's `Params` class.

        Accepts an instance, a mapping of JSON values or None; returns the Params instance
        (or None for a job without Params). Values are never coerced across types (see
        `daggo_core.definitions.params_check`). Raises ParamsError naming every bad field.
        """
        if self.params_type is None:
            if params:
                raise takes_no_params(self.name, params)
            return None
        if isinstance(params, self.params_type):
            return params
        if params is not None and not isinstance(params, Mapping):
            raise ParamsError(
                f"params of job {self.name!r}: expected a mapping or a "
                f"{self.params_type.__name__} instance, got {type(params).__name__}"
            )
        data = dict(params or {})
        check_params(self.name, params_schema(self.params_type), data)
        return structure_checked(f"params of job {self.name!r}", data, self.params_type)

    def params_dict(self, params: Any = None) -> dict[str, Any]:
        """Validate `params` and return them as a JSON-ready dict for storage."""
        value = self.make_params(params)
        return {} if value is None else unstructure(value)

    def snapshot(self) -> JobSnapshot:
        """What storage keeps of the job: its ops and wiring, params, schedules, tags."""
        schema = ParamsSchema() if self.params_type is None else params_schema(self.params_type)
        return JobSnapshot(
            ops=tuple(
                OpSnapshot(
                    name=name,
                    description=self.ops[name].description,
                    input_type=type_label(self.ops[name].input_type),
                    output_type=type_label(self.ops[name].output_type),
                    is_async=self.ops[name].is_async,
                    assets=tuple(spec.key for spec in self.ops[name].assets),
                    inputs=tuple(
                        InputSnapshot(field=b.field, type=type_label(b.type), wiring=b.wiring,
                                      producers=b.producers)
                        for b in self.inputs[name]
                    ),
                )
                for name in self.order
            ),
            params=schema.fields,
            param_classes=schema.classes,
            schedules=tuple(schedule_snapshot(s) for s in self.schedules),
            tags=dict(self.tags),
            partitions=None if self.partitions is None else self.partitions.snapshot(),
            partitions_description="" if self.partitions is None
            else self.partitions.describe(),
            max_partitions_per_run=self.max_partitions_per_run,
            sourced=dict(self.sourced),
            asset_key=self.asset_key,
        )


def type_label(tp: Any) -> str:
    if tp is None:
        return ""
    if isinstance(tp, type):
        return tp.__name__
    return repr(tp).replace("typing.", "")


def input_wiring(tp: Any) -> tuple[Wiring, Any]:
    """How an input field typed `tp` is fed, and the output type it reads."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is list and len(args) == 1:
        return Wiring.MANY, args[0]
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            return Wiring.OPTIONAL, rest[0]
    return Wiring.ONE, tp


class JobBuilder:
    """Collects ops and schedules of a job; `build()` validates and returns the job."""

    def __init__(
        self,
        name: str,
        *,
        description: str = "",
        params: type | None = None,
        tags: Mapping[str, str] | None = None,
        max_concurrent_runs: int | None = None,
        max_concurrent_steps: int | None = None,
        timeout: float | None = None,
        run_retries: int = 0,
        partitions: PartitionsDefinition | None = None,
    ) -> None:
        """Start a job named `name`.

        `max_concurrent_runs` caps this job's runs executing at once; `max_concurrent_steps`
        caps its parallel steps (default: `execution.max_concurrent_steps`); `timeout`
        (seconds) fails a run that takes longer; `run_retries` re-queues a run whose worker
        was lost up to that many times. With `partitions`, each run is launched for one
        partition key (or a range, where the ops allow it), read as `ctx.partition_key`.
        """
        self.name = name
        self.description = description
        self.params_type = params
        self.tags = dict(tags or {})
        self.max_concurrent_runs = max_concurrent_runs
        self.max_concurrent_steps = max_concurrent_steps
        self.timeout = timeout
        self.run_retries = run_retries
        self.partitions = partitions
        self._ops: list[OpDefinition] = []
        self._schedules: list[ScheduleDefinition] = []
        self._sourced: dict[str, str] = {}
        self._asset_key: str | None = None

    def add_sourced(self, op: OpDefinition, asset_key: str) -> JobBuilder:
        """Add an op that is never executed: its output is loaded from the latest
        materialization of `asset_key` (of the run's partition, when both are
        partitioned alike). How an asset's job reads the assets upstream of it."""
        self._ops.append(op)
        self._sourced[op.name] = asset_key
        return self

    def for_asset(self, asset_key: str) -> JobBuilder:
        """Mark the job as the one made for the asset `asset_key`."""
        self._asset_key = asset_key
        return self

    def add(self, *ops: OpDefinition) -> JobBuilder:
        """Add ops to the job; their order breaks ties in the execution order."""
        self._ops.extend(ops)
        return self

    def schedule(
        self,
        cron: str,
        *,
        timezone: str = "UTC",
        enabled: bool = True,
        key: str | None = None,
        params: ScheduleParams | None = None,
        tags: Mapping[str, str] | None = None,
        catch_up: CatchUp | str = CatchUp.LATEST,
        catch_up_window: dt.timedelta = dt.timedelta(hours=24),
        overlap: Overlap | str = Overlap.SKIP,
        pause_after_failures: int | None = None,
    ) -> JobBuilder:
        """Run the job on a cron schedule, evaluated in `timezone`.

        The keywords are the fields of `ScheduleDefinition`: `params` may be a function of
        the tick's time; `catch_up`, `overlap` and `pause_after_failures` set its policies.
        """
        self._schedules.append(ScheduleDefinition(
            cron=cron, timezone=timezone, enabled=enabled, key=key,
            params=params if callable(params) else dict(params or {}), tags=dict(tags or {}),
            catch_up=catch_up, catch_up_window=catch_up_window, overlap=overlap,
            pause_after_failures=pause_after_failures,
        ))
        return self

    def add_schedule(self, schedule: ScheduleDefinition) -> JobBuilder:
        """Add a ready-made ScheduleDefinition."""
        self._schedules.append(schedule)
        return self

    def build(self) -> JobDefinition:
        """Validate the job and return it; raises one DefinitionError listing every problem."""
        problems: list[str] = []
        bad_name = name_problem("job", self.name)
        if bad_name:
            problems.append(bad_name)
        label = f"job {self.name!r}"
        ops: dict[str, OpDefinition] = {}
        added: Sequence[object] = self._ops  # an app without type checking may add anything
        for op in added:
            if not isinstance(op, OpDefinition):
                problems.append(f"{label}: {op!r} is not an op; create ops with dag.op(name, fn)")
                continue
            problems.extend(op.problems)
            if op.name in ops:
                problems.append(f"{label}: duplicate op name {op.name!r}")
                continue
            ops[op.name] = op
        if not self._ops:
            problems.append(f"{label}: has no ops; add at least one with .add(...)")
        problems.extend(_type_problems(ops))
        problems.extend(self._params_problems())
        problems.extend(self._limit_problems())
        problems.extend(self._partitions_problems())
        inputs = _wire(ops, problems)
        # Cycles are looked for even when other problems were found: one error lists all.
        order = _toposort(list(ops), inputs, problems)
        problems.extend(self._schedule_problems())
        if problems:
            raise DefinitionError(label, problems)
        position = {name: i for i, name in enumerate(order)}
        ordered_inputs = {
            name: tuple(
                attrs.evolve(b, producers=tuple(sorted(b.producers, key=position.__getitem__)))
                for b in bindings
            )
            for name, bindings in inputs.items()
        }
        return JobDefinition(
            name=self.name,
            description=self.description,
            ops={name: ops[name] for name in order},
            order=order,
            inputs=ordered_inputs,
            schedules=tuple(self._schedules),
            params_type=self.params_type,
            tags=self.tags,
            max_concurrent_runs=self.max_concurrent_runs,
            max_concurrent_steps=self.max_concurrent_steps,
            timeout=self.timeout,
            run_retries=self.run_retries,
            partitions=self.partitions,
            sourced=dict(self._sourced),
            asset_key=self._asset_key,
        )

    def _partitions_problems(self) -> list[str]:
        label = f"job {self.name!r} partitions"
        if self.partitions is None:
            return []
        problems = []
        if self._schedules:
            problems.append(f"{label}: a partitioned job cannot have schedules (a tick "
                            "would not know which partition to run); schedule a job without "
                            "partitions, or backfill the partitions")
        given: object = self.partitions  # an app without type checking may give anything
        if not isinstance(given, PartitionsDefinition):
            return [*problems, f"{label}: {given!r} is not a partitions definition; use "
                    "StaticPartitions, DailyPartitions (or another time window) or "
                    "DynamicPartitions"]
        return [*problems, *self.partitions.problems(label)]

    def _params_problems(self) -> list[str]:
        if self.params_type is None:
            return []
        if not attrs.has(self.params_type):
            return [f"job {self.name!r}: params {self.params_type!r} must be an attrs class"]
        return [
            f"job {self.name!r} params: {reason}"
            for reason in unserializable_reasons(self.params_type)
        ]

    def _limit_problems(self) -> list[str]:
        label = f"job {self.name!r}"
        problems = []
        for name in ("max_concurrent_runs", "max_concurrent_steps"):
            value = getattr(self, name)
            if value is not None and (type(value) is not int or value < 1):
                problems.append(f"{label}: {name} must be an integer >= 1, got {value!r}")
        if self.timeout is not None and not (
            isinstance(self.timeout, int | float) and self.timeout > 0
        ):
            problems.append(f"{label}: timeout must be a number of seconds > 0, "
                            f"got {self.timeout!r}")
        if type(self.run_retries) is not int or self.run_retries < 0:
            problems.append(f"{label}: run_retries must be an integer >= 0, "
                            f"got {self.run_retries!r}")
        return problems

    def _schedule_problems(self) -> list[str]:
        problems: list[str] = []
        keys: set[str] = set()
        added: Sequence[object] = self._schedules  # as for ops: may be anything
        for schedule in added:
            if not isinstance(schedule, ScheduleDefinition):
                problems.append(f"job {self.name!r}: {schedule!r} is not a ScheduleDefinition")
                continue
            problems.extend(schedule_problems(self.name, schedule))
            key = schedule.effective_key
            bad_key = name_problem("schedule key", key)
            if bad_key:
                problems.append(f"job {self.name!r}: {bad_key}")
            if key in keys:
                problems.append(
                    f"job {self.name!r}: two schedules have the key {key!r}; "
                    "give one of them an explicit key="
                )
            keys.add(key)
            problems.extend(self._static_params_problems(schedule))
        return problems

    def _static_params_problems(self, schedule: ScheduleDefinition) -> list[str]:
        """Fixed schedule params are checked against the job's Params now, not at a tick."""
        if callable(schedule.params) or not isinstance(schedule.params, Mapping):
            return []
        if self._params_problems():
            return []
        probe = JobDefinition(name=self.name, ops={}, order=(), inputs={},
                              params_type=self.params_type)
        try:
            probe.make_params(schedule.params)
        except ParamsError as exc:
            return [f"job {self.name!r} schedule {schedule.effective_key!r}: {exc}"]
        return []


def _type_problems(ops: Mapping[str, OpDefinition]) -> list[str]:
    problems: list[str] = []
    reasons_of: dict[Any, list[str]] = {}
    for op in ops.values():
        # An op with other problems still has its output checked when it is an attrs class.
        if not attrs.has(op.output_type):
            continue
        if op.output_type not in reasons_of:
            reasons_of[op.output_type] = unserializable_reasons(op.output_type)
        for reason in reasons_of[op.output_type]:
            problems.append(f"op {op.name!r} output {reason}")
    return problems


def _wire(
    ops: Mapping[str, OpDefinition], problems: list[str]
) -> dict[str, tuple[InputBinding, ...]]:
    producers_of: dict[Any, list[str]] = {}
    for op in ops.values():
        if not op.problems:
            producers_of.setdefault(op.output_type, []).append(op.name)
    wired: dict[str, tuple[InputBinding, ...]] = {}
    for op in ops.values():
        if op.problems or op.input_type is NoInput:
            wired[op.name] = ()
            continue
        hints = typing.get_type_hints(op.input_type)
        bindings = []
        for f in attrs.fields(op.input_type):
            tp = hints.get(f.name, f.type)
            wiring, produced = input_wiring(tp)
            where = f"op {op.name!r} input field {f.name!r} ({type_label(tp)})"
            found = producers_of.get(produced, [])
            if op.name in found:
                problems.append(f"{where}: op {op.name!r} depends on its own output; an op "
                                "cannot consume the type it produces")
                found = [p for p in found if p != op.name]
            if wiring is Wiring.ONE and not found:
                problems.append(f"{where}: no op in the job produces "
                                f"{type_label(produced)}; add its producer or type the "
                                f"field '{type_label(produced)} | None'")
            elif wiring is not Wiring.MANY and len(found) > 1:
                problems.append(f"{where}: ambiguous, produced by {len(found)} ops "
                                f"({', '.join(found)}); type the field "
                                f"'list[{type_label(produced)}]' to collect all of them, "
                                "or give each producer its own output type")
            bindings.append(InputBinding(
                field=f.name, type=tp, wiring=wiring, producers=tuple(found)
            ))
        wired[op.name] = tuple(bindings)
    return wired


def _toposort(
    names: list[str], inputs: Mapping[str, tuple[InputBinding, ...]], problems: list[str]
) -> tuple[str, ...]:
    index = {name: i for i, name in enumerate(names)}
    downstream: dict[str, list[str]] = {name: [] for name in names}
    indegree = dict.fromkeys(names, 0)
    for name in names:
        for upstream in {p for b in inputs[name] for p in b.producers}:
            downstream[upstream].append(name)
            indegree[name] += 1
    ready = [(index[n], n) for n in names if indegree[n] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(name)
        for nxt in downstream[name]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                heapq.heappush(ready, (index[nxt], nxt))
    if len(order) < len(names):
        stuck = {n for n in names if indegree[n] > 0}
        cycle = _find_cycle(stuck, inputs, index)
        problems.append(f"the ops form a cycle: {' -> '.join(map(str, cycle))}")
        return ()
    return tuple(order)


def _find_cycle(
    stuck: set[str],
    inputs: Mapping[str, tuple[InputBinding, ...]],
    index: Mapping[str, int],
) -> list[str]:
    """Walk upstream edges inside the stuck set until a node repeats: that is a cycle.

    Every stuck op has a stuck producer, so the walk cannot end; ties go to the op added
    first, so the reported cycle is deterministic.
    """
    node = min(stuck, key=index.__getitem__)
    path: list[str] = []
    seen: dict[str, int] = {}
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = min(
            (p for b in inputs[node] for p in b.producers if p in stuck),
            key=index.__getitem__,
        )
    cycle = [*path[seen[node]:], node]
    return list(reversed(cycle))
