"""Authoring: ops, typed wiring, build-time validation, params, schedules and Definitions."""

import collections.abc as cabc
import datetime as dt
import enum
import functools
import inspect
import itertools
import json
import random
import typing
from typing import Any, Optional

import attrs
import pytest
from attrs import frozen

from daggo_core import Context, Definitions, NoInput, dag
from daggo_core.definitions.jobs import JobBuilder, JobDefinition
from daggo_core.definitions.ops import NAME_PATTERN, OpDefinition
from daggo_core.definitions.snapshot import SNAPSHOT_VERSION, JobSnapshot, Wiring
from daggo_core.errors import DefinitionError, JobNotFoundError, ParamsError
from daggo_core.serde import structure, unserializable_reasons, unstructure

# --- types shared by the tests (module level, so annotations resolve) -------------------


@frozen
class Seed:
    value: int


@frozen
class Leaf:
    value: int


@frozen
class Mid:
    value: int


@frozen
class Done:
    count: int


@frozen
class Lonely:
    value: int


@frozen
class SeedIn:
    seed: Seed


@frozen
class MidIn:
    mid: Mid


@frozen
class LeavesIn:
    leaves: list[Leaf]


@frozen
class LeafIn:
    leaf: Leaf


@frozen
class LonelyListIn:
    lonely: list[Lonely]


@frozen
class MaybeSeedIn:
    seed: Seed | None


@frozen
class OptionalSeedIn:
    seed: Optional[Seed]  # noqa: UP045 - the typing.Optional spelling must work too


@frozen
class LonelyIn:
    lonely: Lonely


@frozen
class SeedAndLonelyIn:
    seed: Seed
    lonely: Lonely


# Cycles: CycA -> CycB -> CycC -> CycA.
@frozen
class CycA:
    value: int


@frozen
class CycB:
    value: int


@frozen
class CycC:
    value: int


@frozen
class CycAIn:
    a: CycA


@frozen
class CycBIn:
    b: CycB


@frozen
class CycCIn:
    c: CycC


# Output types that cannot round-trip through JSON.
class Opaque:
    """A plain class cattrs knows nothing about."""


@frozen
class ObjectOut:
    payload: object


@frozen
class SetOut:
    items: set[Opaque]


@frozen
class IntKeysOut:
    by_id: dict[int, str]


@frozen
class AnyOut:
    value: Any


@frozen
class Inner:
    blob: Opaque


@frozen
class NestedOut:
    ok: int
    inner: Inner


@frozen
class LookA:
    x: int


@frozen
class LookB:
    x: int


@frozen
class LookAlikeUnionOut:
    either: LookA | LookB


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@frozen
class RichOut:
    """Every kind of field the converter must round-trip."""

    name: str
    count: int
    ratio: float
    flag: bool
    raw: bytes
    when: dt.datetime
    day: dt.date
    color: Color
    maybe: int | None
    tags: list[str]
    pair: tuple[int, str]
    many: tuple[int, ...]
    unique: frozenset[str]
    seq: cabc.Sequence[int]
    typed_seq: typing.Sequence[str]  # typing.Sequence must be accepted too
    mapping: cabc.Mapping[str, int]
    nested: dict[str, list[Leaf]]
    kind: typing.Literal["a", "b"]
    either: Leaf | Done


# Params.
@frozen
class Params:
    limit: int
    label: str = "all"


@frozen
class DefaultParams:
    limit: int = 10


@frozen
class BadParams:
    anything: Any


# --- op functions ----------------------------------------------------------------------


def make_seed(ctx: Context, inp: NoInput) -> Seed:
    """Make the seed.

    Longer description that is not part of the summary.
    """
    return Seed(1)


def leaf_from_seed(ctx: Context, inp: SeedIn) -> Leaf:
    return Leaf(inp.seed.value)


def leaf_from_mid(ctx: Context, inp: MidIn) -> Leaf:
    return Leaf(inp.mid.value)


def leaf_from_nothing(ctx: Context, inp: NoInput) -> Leaf:
    return Leaf(0)


def mid_from_seed(ctx: Context, inp: SeedIn) -> Mid:
    return Mid(inp.seed.value)


def collect_leaves(ctx: Context, inp: LeavesIn) -> Done:
    return Done(len(inp.leaves))


def done_from_leaf(ctx: Context, inp: LeafIn) -> Done:
    return Done(1)


def collect_lonely(ctx: Context, inp: LonelyListIn) -> Done:
    return Done(len(inp.lonely))


def maybe_seed(ctx: Context, inp: MaybeSeedIn) -> Done:
    return Done(0 if inp.seed is None else 1)


def optional_seed(ctx: Context, inp: OptionalSeedIn) -> Done:
    return Done(0 if inp.seed is None else 1)


def needs_lonely(ctx: Context, inp: LonelyIn) -> Done:
    return Done(1)


def needs_seed_and_lonely(ctx: Context, inp: SeedAndLonelyIn) -> Done:
    return Done(1)


def seed_from_seed(ctx: Context, inp: SeedIn) -> Seed:
    return inp.seed


def a_from_c(ctx: Context, inp: CycCIn) -> CycA:
    return CycA(inp.c.value)


def b_from_a(ctx: Context, inp: CycAIn) -> CycB:
    return CycB(inp.a.value)


def c_from_b(ctx: Context, inp: CycBIn) -> CycC:
    return CycC(inp.b.value)


def a_from_b(ctx: Context, inp: CycBIn) -> CycA:
    return CycA(inp.b.value)


def done_from_a(ctx: Context, inp: CycAIn) -> Done:
    return Done(inp.a.value)


def root_op(name: str = "seed") -> OpDefinition:
    return dag.op(name, make_seed)


def build_error(builder: JobBuilder) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        builder.build()
    return info.value


def problem_with(error: DefinitionError, *fragments: str) -> str:
    """The one problem that contains every fragment (fails listing all problems if none)."""
    matches = [p for p in error.problems if all(f in p for f in fragments)]
    assert matches, f"no problem contains {fragments!r}; problems: {error.problems!r}"
    return matches[0]


# --- ops and wiring --------------------------------------------------------------------


def test_root_op_with_noinput_builds_alone() -> None:
    op = dag.op("seed", make_seed)
    assert op.is_root
    assert op.input_type is NoInput
    assert op.output_type is Seed
    assert not op.is_async
    assert op.problems == ()
    assert op.description == "Make the seed."

    job = dag.job("just_seed").add(op).build()

    assert isinstance(job, JobDefinition)
    assert job.order == ("seed",)
    assert job.inputs["seed"] == ()
    assert job.upstream("seed") == ()
    assert job.ops["seed"] is op


def test_explicit_description_overrides_docstring() -> None:
    assert dag.op("seed", make_seed, description="custom").description == "custom"
    assert dag.op("leaf", leaf_from_seed).description == ""


def test_single_producer_wires_plain_field() -> None:
    job = dag.job("pair").add(dag.op("leaf", leaf_from_seed), root_op()).build()

    assert job.order == ("seed", "leaf")
    (binding,) = job.inputs["leaf"]
    assert binding.field == "seed"
    assert binding.type is Seed
    assert binding.wiring is Wiring.ONE
    assert binding.producers == ("seed",)
    assert job.upstream("leaf") == ("seed",)


def _fan_in_ops() -> dict[str, OpDefinition]:
    """seed -> (from_seed, mid -> from_mid), from_nothing; sink collects every Leaf."""
    return {
        "sink": dag.op("sink", collect_leaves),
        "from_mid": dag.op("from_mid", leaf_from_mid),
        "from_seed": dag.op("from_seed", leaf_from_seed),
        "mid": dag.op("mid", mid_from_seed),
        "from_nothing": dag.op("from_nothing", leaf_from_nothing),
        "seed": root_op(),
    }


_FAN_IN_DEPS = {
    "sink": {"from_mid", "from_seed", "from_nothing"},
    "from_mid": {"mid"},
    "from_seed": {"seed"},
    "mid": {"seed"},
    "from_nothing": set(),
    "seed": set(),
}


def _expected_order(add_order: list[str], deps: dict[str, set[str]]) -> list[str]:
    """The spec: repeatedly take the first op, in add order, whose producers all ran."""
    done: list[str] = []
    while len(done) < len(add_order):
        nxt = next(n for n in add_order if n not in done and deps[n] <= set(done))
        done.append(nxt)
    return done


def test_fan_in_collects_every_producer_in_topological_order() -> None:
    ops = _fan_in_ops()
    job = dag.job("fan_in").add(*ops.values()).build()

    # Ready ops are taken in add order: from_nothing (added 5th) and seed (6th) are the
    # only roots; after seed, from_seed (3rd) beats mid (4th); from_mid needs mid.
    assert job.order == ("from_nothing", "seed", "from_seed", "mid", "from_mid", "sink")
    (binding,) = job.inputs["sink"]
    assert binding.field == "leaves"
    assert binding.wiring is Wiring.MANY
    assert binding.type == list[Leaf]
    assert binding.producers == ("from_nothing", "from_seed", "from_mid")
    assert job.upstream("sink") == ("from_nothing", "from_seed", "from_mid")


def test_fan_in_order_changes_only_with_add_order_ties() -> None:
    ops = _fan_in_ops()
    names = list(ops)
    rng = random.Random(1234)
    permutations = [list(p) for p in itertools.permutations(names)]
    seen_orders = set()
    for add_order in rng.sample(permutations, 120):
        job = dag.job("fan_in").add(*(ops[n] for n in add_order)).build()
        expected = _expected_order(add_order, _FAN_IN_DEPS)
        assert list(job.order) == expected, add_order
        # Producers of the list field follow the job's order, whatever the add order.
        producers = job.inputs["sink"][0].producers
        assert list(producers) == [n for n in job.order if n in _FAN_IN_DEPS["sink"]]
        # Every op runs after all its producers.
        position = {n: i for i, n in enumerate(job.order)}
        for name, deps in _FAN_IN_DEPS.items():
            assert all(position[d] < position[name] for d in deps)
        # Deterministic: the same add order gives the same job.
        again = dag.job("fan_in").add(*(ops[n] for n in add_order)).build()
        assert again.order == job.order
        seen_orders.add(job.order)
    # The order does depend on the add order (ties), so the sample saw several orders.
    assert len(seen_orders) > 1


def test_fan_in_without_producers_is_empty_list() -> None:
    job = dag.job("nobody").add(root_op(), dag.op("collect", collect_lonely)).build()

    (binding,) = job.inputs["collect"]
    assert binding.wiring is Wiring.MANY
    assert binding.producers == ()
    assert job.upstream("collect") == ()
    assert job.order == ("seed", "collect")


@pytest.mark.parametrize("fn", [maybe_seed, optional_seed], ids=["pipe_none", "optional"])
def test_optional_field_with_producer(fn: Any) -> None:
    job = dag.job("maybe").add(dag.op("consumer", fn), root_op()).build()

    (binding,) = job.inputs["consumer"]
    assert binding.wiring is Wiring.OPTIONAL
    assert binding.producers == ("seed",)
    assert job.order == ("seed", "consumer")


@pytest.mark.parametrize("fn", [maybe_seed, optional_seed], ids=["pipe_none", "optional"])
def test_optional_field_without_producer_is_none(fn: Any) -> None:
    job = dag.job("maybe").add(dag.op("consumer", fn)).build()

    (binding,) = job.inputs["consumer"]
    assert binding.wiring is Wiring.OPTIONAL
    assert binding.producers == ()
    assert job.order == ("consumer",)


def test_missing_producer_names_op_and_field() -> None:
    error = build_error(dag.job("missing").add(root_op(), dag.op("needy", needs_lonely)))

    assert error.subject == "job 'missing'"
    (problem,) = error.problems
    assert "op 'needy' input field 'lonely' (Lonely)" in problem
    assert "no op in the job produces Lonely" in problem
    assert "'Lonely | None'" in problem  # suggests the optional spelling


def test_missing_producer_among_fields_names_only_the_bad_field() -> None:
    error = build_error(dag.job("missing").add(root_op(), dag.op("needy", needs_seed_and_lonely)))

    (problem,) = error.problems
    assert "op 'needy' input field 'lonely'" in problem
    assert "field 'seed'" not in problem


def test_two_producers_of_a_single_field_is_ambiguous() -> None:
    builder = dag.job("ambiguous").add(
        dag.op("leaf_a", leaf_from_nothing),
        dag.op("leaf_b", leaf_from_nothing),
        dag.op("consumer", done_from_leaf),
    )
    error = build_error(builder)

    (problem,) = error.problems
    assert "op 'consumer' input field 'leaf' (Leaf)" in problem
    assert "ambiguous, produced by 2 ops (leaf_a, leaf_b)" in problem
    assert "'list[Leaf]'" in problem


def test_two_producers_of_an_optional_field_is_ambiguous() -> None:
    builder = dag.job("ambiguous").add(
        dag.op("seed_a", make_seed), dag.op("seed_b", make_seed), dag.op("consumer", maybe_seed)
    )
    problem = problem_with(build_error(builder), "op 'consumer' input field 'seed'")
    assert "ambiguous, produced by 2 ops (seed_a, seed_b)" in problem
    assert "'list[Seed]'" in problem


def test_self_dependency_is_reported() -> None:
    builder = dag.job("selfish").add(dag.op("loop", seed_from_seed))
    error = build_error(builder)

    problem = problem_with(error, "op 'loop' input field 'seed'", "depends on its own output")
    assert "cannot consume the type it produces" in problem
    assert not any("cycle" in p for p in error.problems)


def test_self_dependency_is_not_an_extra_producer_when_another_exists() -> None:
    # `loop` consumes Seed and produces Seed; `seed` also produces Seed.
    error = build_error(dag.job("selfish").add(root_op(), dag.op("loop", seed_from_seed)))

    problem_with(error, "op 'loop' input field 'seed'", "depends on its own output")


def test_cycle_of_two_shows_the_path() -> None:
    builder = dag.job("cycle2").add(dag.op("a", a_from_b), dag.op("b", b_from_a))
    error = build_error(builder)

    assert error.problems == ["the ops form a cycle: a -> b -> a"]


def test_cycle_of_three_shows_the_path_without_downstream_ops() -> None:
    builder = dag.job("cycle3").add(
        dag.op("a", a_from_c),
        dag.op("tail", done_from_a),  # downstream of the cycle, not part of it
        dag.op("b", b_from_a),
        dag.op("c", c_from_b),
    )
    error = build_error(builder)

    assert error.problems == ["the ops form a cycle: a -> b -> c -> a"]
    assert "job 'cycle3'" in str(error)


def test_cycle_path_starts_at_first_added_op() -> None:
    builder = dag.job("cycle3").add(
        dag.op("c", c_from_b), dag.op("a", a_from_c), dag.op("b", b_from_a)
    )
    assert build_error(builder).problems == ["the ops form a cycle: c -> a -> b -> c"]


def test_cycle_is_reported_together_with_other_problems() -> None:
    builder = dag.job("cycle_and_more").add(
        dag.op("a", a_from_b), dag.op("b", b_from_a), dag.op("needy", needs_lonely)
    )
    error = build_error(builder)

    assert len(error.problems) == 2
    problem_with(error, "op 'needy' input field 'lonely'", "no op in the job produces Lonely")
    problem_with(error, "the ops form a cycle: a -> b -> a")


def test_duplicate_op_names() -> None:
    builder = dag.job("dupes").add(
        dag.op("seed", make_seed), dag.op("leaf", leaf_from_seed), dag.op("seed", make_seed)
    )
    error = build_error(builder)

    assert error.problems == ["job 'dupes': duplicate op name 'seed'"]


def test_same_op_added_twice_is_a_duplicate() -> None:
    op = root_op()
    error = build_error(dag.job("dupes").add(op, op))
    assert error.problems == ["job 'dupes': duplicate op name 'seed'"]


@pytest.mark.parametrize(
    "name", ["bad name", "1starts_with_digit", "", "x" * 129, "dots.not.allowed", "é", None]
)
def test_malformed_op_name(name: Any) -> None:
    op = dag.op(name, make_seed)
    assert op.problems

    error = build_error(dag.job("job").add(op))
    problem = problem_with(error, f"op name {name!r} is malformed")
    assert "letters, digits" in problem


@pytest.mark.parametrize("name", ["ok", "_private", "with-dash", "a1_b2", "x" * 128])
def test_well_formed_op_names(name: str) -> None:
    assert dag.op(name, make_seed).problems == ()
    assert NAME_PATTERN.match(name)


@pytest.mark.parametrize("name", ["my job", "-dash-first", "", "x" * 129, "a/b"])
def test_malformed_job_name(name: str) -> None:
    error = build_error(dag.job(name).add(root_op()))
    problem_with(error, f"job name {name!r} is malformed")


def test_job_without_ops() -> None:
    error = build_error(dag.job("empty"))
    assert error.problems == ["job 'empty': has no ops; add at least one with .add(...)"]


def test_non_op_added_to_job() -> None:
    error = build_error(dag.job("job").add(root_op(), make_seed))  # type: ignore[arg-type]
    problem_with(error, "job 'job':", "is not an op", "dag.op(name, fn)")


def _no_inp_annotation(ctx: Context, inp) -> Seed:  # type: ignore[no-untyped-def]
    return Seed(1)


def _no_return_annotation(ctx: Context, inp: NoInput):  # type: ignore[no-untyped-def]
    return Seed(1)


def _returns_none(ctx: Context, inp: NoInput) -> None:
    return None


def _unresolvable(ctx: Context, inp: "NotDefinedAnywhere") -> Seed:  # type: ignore[name-defined]  # noqa: F821
    return Seed(1)


def test_missing_input_annotation() -> None:
    op = dag.op("untyped_in", _no_inp_annotation)
    (problem,) = op.problems
    assert problem.startswith("op 'untyped_in' (_no_inp_annotation):")
    assert "argument 'inp' has no type annotation" in problem

    error = build_error(dag.job("job").add(op))
    assert error.problems == [problem]


@pytest.mark.parametrize("fn", [_no_return_annotation, _returns_none])
def test_missing_return_annotation(fn: Any) -> None:
    op = dag.op("untyped_out", fn)
    (problem,) = op.problems
    assert problem.startswith(f"op 'untyped_out' ({fn.__name__}):")
    assert "has no return annotation" in problem
    problem_with(build_error(dag.job("job").add(op)), "op 'untyped_out'", "no return annotation")


def test_unresolvable_annotation() -> None:
    (problem,) = dag.op("broken", _unresolvable).problems
    assert "op 'broken' (_unresolvable): annotations cannot be resolved" in problem
    assert "NotDefinedAnywhere" in problem


def test_lambda_without_annotations_reports_both() -> None:
    op = dag.op("anon", lambda ctx, inp: None)
    assert len(op.problems) == 2
    assert all(p.startswith("op 'anon' (") and "<lambda>):" in p for p in op.problems)


def _one_arg(ctx: Context) -> Seed:
    return Seed(1)


def _three_args(ctx: Context, inp: NoInput, extra: int) -> Seed:
    return Seed(extra)


def _no_args() -> Seed:
    return Seed(1)


@pytest.mark.parametrize(("fn", "count"), [(_one_arg, 1), (_three_args, 3), (_no_args, 0)])
def test_wrong_arity(fn: Any, count: int) -> None:
    (problem,) = dag.op("arity", fn).problems
    assert f"op 'arity' ({fn.__name__}): must take exactly two arguments (ctx, inp)" in problem
    assert problem.endswith(f"takes {count}")


def test_not_callable() -> None:
    (problem,) = dag.op("nope", 42).problems  # type: ignore[arg-type]
    assert problem == "op 'nope': 42 is not callable"


def _dict_input(ctx: Context, inp: dict) -> Seed:  # type: ignore[type-arg]
    return Seed(1)


def _int_output(ctx: Context, inp: NoInput) -> int:
    return 1


def _plain_class_output(ctx: Context, inp: NoInput) -> Opaque:
    return Opaque()


def test_non_attrs_input() -> None:
    (problem,) = dag.op("plain_in", _dict_input).problems
    assert problem == (
        "op 'plain_in' (_dict_input): input type dict must be NoInput or an attrs class"
    )


@pytest.mark.parametrize(("fn", "label"), [(_int_output, "int"), (_plain_class_output, "Opaque")])
def test_non_attrs_output(fn: Any, label: str) -> None:
    (problem,) = dag.op("plain_out", fn).problems
    assert problem == (
        f"op 'plain_out' ({fn.__name__}): output type {label} must be an attrs class"
    )


def _out_fn(out_type: type) -> Any:
    def fn(ctx: Context, inp: NoInput) -> Any:
        raise NotImplementedError

    fn.__annotations__ = {"ctx": Context, "inp": NoInput, "return": out_type}
    return fn


@pytest.mark.parametrize(
    ("out_type", "path", "reason"),
    [
        (ObjectOut, "ObjectOut.payload", "type object cannot be serialized"),
        (SetOut, "SetOut.items[]", "type Opaque cannot be serialized"),
        (IntKeysOut, "IntKeysOut.by_id", "dict keys must be str"),
        (AnyOut, "AnyOut.value", "typing.Any cannot be serialized"),
        (NestedOut, "NestedOut.inner.blob", "type Opaque cannot be serialized"),
        (LookAlikeUnionOut, "LookAlikeUnionOut.either", "cannot be structured"),
    ],
    ids=["object", "set_of_opaque", "int_keys", "any", "nested", "look_alike_union"],
)
def test_output_that_cannot_round_trip(out_type: type, path: str, reason: str) -> None:
    op = dag.op("bad_out", _out_fn(out_type))
    assert op.problems == ()  # the signature is fine; serializability is a job check

    error = build_error(dag.job("job").add(op))
    (problem,) = error.problems
    assert problem.startswith(f"op 'bad_out' output {path}: ")
    assert reason in problem


def test_every_op_with_an_unserializable_output_is_named() -> None:
    builder = dag.job("job").add(
        dag.op("first", _out_fn(ObjectOut)), dag.op("second", _out_fn(ObjectOut))
    )
    error = build_error(builder)
    problem_with(error, "op 'first' output ObjectOut.payload")
    problem_with(error, "op 'second' output ObjectOut.payload")


def test_unserializable_output_reported_even_when_input_is_bad() -> None:
    def fn(ctx: Context, inp: dict) -> ObjectOut:  # type: ignore[type-arg]
        raise NotImplementedError

    error = build_error(dag.job("job").add(dag.op("both", fn)))
    problem_with(error, "op 'both'", "input type dict must be NoInput or an attrs class")
    problem_with(error, "op 'both' output ObjectOut.payload")


def test_supported_output_types_round_trip() -> None:
    assert unserializable_reasons(RichOut) == []
    value = RichOut(
        name="n", count=1, ratio=0.5, flag=True, raw=b"\x00\xff",
        when=dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC), day=dt.date(2024, 5, 1),
        color=Color.BLUE, maybe=None, tags=["a"], pair=(1, "x"), many=(1, 2, 3),
        unique=frozenset({"u"}), seq=[1, 2], typed_seq=["s"], mapping={"k": 1},
        nested={"k": [Leaf(1)]}, kind="b", either=Done(3),
    )
    back = structure(json.loads(json.dumps(unstructure(value))), RichOut)
    assert back.when == value.when
    assert back.color is Color.BLUE
    assert back.either == Done(3)
    assert list(back.seq) == [1, 2]
    assert unstructure(back) == unstructure(value)

    job = dag.job("rich").add(dag.op("rich", _out_fn(RichOut))).build()
    assert job.order == ("rich",)


@frozen
class QuotedInner:
    x: "int"


@frozen
class QuotedOuter:
    inner: "QuotedInner"
    items: "tuple[QuotedInner, ...]"
    by_key: "dict[str, QuotedInner]"


def test_outputs_with_string_annotations_unstructure_nested_values() -> None:
    # As in a module with `from __future__ import annotations`: fields' types are strings.
    value = QuotedOuter(inner=QuotedInner(1), items=(QuotedInner(2),),
                        by_key={"k": QuotedInner(3)})
    stored = unstructure(value)
    assert stored == {"inner": {"x": 1}, "items": [{"x": 2}], "by_key": {"k": {"x": 3}}}
    assert structure(json.loads(json.dumps(stored)), QuotedOuter) == value


def test_several_problems_reported_in_one_error() -> None:
    builder = (
        dag.job("messy")
        .add(
            dag.op("bad name", make_seed),
            dag.op("needy", needs_lonely),
            dag.op("leaf_a", leaf_from_nothing),
            dag.op("leaf_b", leaf_from_nothing),
            dag.op("consumer", done_from_leaf),
            dag.op("bad_out", _out_fn(AnyOut)),
            dag.op("untyped", _no_inp_annotation),
            dag.op("a", a_from_b),
            dag.op("b", b_from_a),
        )
        .schedule("not a cron", key="nightly")
        .schedule("0 2 * * *", timezone="Mars/Olympus")
    )
    error = build_error(builder)

    problem_with(error, "op name 'bad name' is malformed")
    problem_with(error, "op 'needy' input field 'lonely'", "no op in the job produces Lonely")
    problem_with(error, "op 'consumer' input field 'leaf'", "ambiguous")
    problem_with(error, "op 'bad_out' output AnyOut.value")
    problem_with(error, "op 'untyped'", "argument 'inp' has no type annotation")
    problem_with(error, "the ops form a cycle: a -> b -> a")
    problem_with(error, "job 'messy' schedule 'nightly'", "invalid cron expression")
    problem_with(error, "job 'messy' schedule 'daily_at_02_00'", "unknown timezone")
    assert len(error.problems) == 8
    assert f"({len(error.problems)} problems)" in str(error)
    for problem in error.problems:
        assert f"  - {problem}" in str(error)


# --- bound methods, partials, async ----------------------------------------------------


class FakeClient:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def fetch(self, key: str) -> int:
        self.calls.append(key)
        return len(key)


@attrs.define
class Deps:
    """The seed's resources.Deps: the clients the ops use."""

    client: FakeClient


class SeedOps:
    """An ops object holding its dependencies; its methods are the ops."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def make_seed(self, ctx: Context, inp: NoInput) -> Seed:
        """Fetch the seed through the client."""
        return Seed(self.deps.client.fetch("seed"))

    async def leaf(self, ctx: Context, inp: SeedIn) -> Leaf:
        return Leaf(inp.seed.value + 1)


async def async_leaf(ctx: Context, inp: SeedIn) -> Leaf:
    return Leaf(inp.seed.value)


def test_bound_methods_of_an_ops_object() -> None:
    deps = Deps(client=FakeClient())
    ops = SeedOps(deps)
    seed = dag.op("seed", ops.make_seed)
    leaf = dag.op("leaf", ops.leaf)

    assert seed.problems == () and leaf.problems == ()
    assert (seed.input_type, seed.output_type) == (NoInput, Seed)
    assert (leaf.input_type, leaf.output_type) == (SeedIn, Leaf)
    assert seed.description == "Fetch the seed through the client."
    assert not seed.is_async
    assert leaf.is_async

    job = dag.job("methods").add(leaf, seed).build()
    assert job.order == ("seed", "leaf")
    assert job.inputs["leaf"][0].producers == ("seed",)
    # The op calls the method bound to the ops object and its deps.
    assert job.ops["seed"].fn(None, NoInput()) == Seed(4)
    assert deps.client.calls == ["seed"]


def test_async_function_is_detected() -> None:
    op = dag.op("leaf", async_leaf)
    assert op.is_async
    assert inspect.iscoroutinefunction(op.fn)
    assert not dag.op("sync_leaf", leaf_from_seed).is_async

    job = dag.job("async_job").add(root_op(), op).build()
    assert job.snapshot().ops[1].is_async is True


def _leaf_with_deps(deps: Deps, ctx: Context, inp: SeedIn) -> Leaf:
    return Leaf(inp.seed.value)


async def _async_leaf_with_deps(deps: Deps, ctx: Context, inp: SeedIn) -> Leaf:
    return Leaf(inp.seed.value)


class CallableOp:
    label: str  # a class-level annotation that must not be mistaken for the op's

    def __call__(self, ctx: Context, inp: SeedIn) -> Leaf:
        return Leaf(inp.seed.value)


class AsyncCallableOp:
    async def __call__(self, ctx: Context, inp: SeedIn) -> Leaf:
        return Leaf(inp.seed.value)


@pytest.mark.parametrize(
    ("fn", "is_async"),
    [
        (functools.partial(_leaf_with_deps, Deps(FakeClient())), False),
        (functools.partial(_async_leaf_with_deps, Deps(FakeClient())), True),
        (CallableOp(), False),
        (AsyncCallableOp(), True),
    ],
    ids=["partial", "async_partial", "callable_object", "async_callable_object"],
)
def test_partials_and_callable_objects(fn: Any, is_async: bool) -> None:
    op = dag.op("leaf", fn)
    assert op.problems == ()
    assert (op.input_type, op.output_type) == (SeedIn, Leaf)
    assert op.is_async is is_async
    assert dag.job("job").add(root_op(), op).build().order == ("seed", "leaf")


# --- params ----------------------------------------------------------------------------


def test_params_must_be_an_attrs_class() -> None:
    error = build_error(dag.job("job", params=dict).add(root_op()))
    (problem,) = error.problems
    assert problem.startswith("job 'job': params <class 'dict'> must be an attrs class")


def test_params_must_round_trip() -> None:
    error = build_error(dag.job("job", params=BadParams).add(root_op()))
    (problem,) = error.problems
    assert problem.startswith("job 'job' params: BadParams.anything: ")


def _params_job() -> JobDefinition:
    return dag.job("with_params", params=Params).add(root_op()).build()


def test_make_params_from_dict() -> None:
    assert _params_job().make_params({"limit": 5}) == Params(limit=5)
    assert _params_job().make_params({"limit": 5, "label": "x"}) == Params(5, "x")


def test_make_params_from_instance_returns_it() -> None:
    params = Params(limit=3)
    assert _params_job().make_params(params) is params


def test_make_params_none_uses_defaults() -> None:
    job = dag.job("defaults", params=DefaultParams).add(root_op()).build()
    assert job.make_params(None) == DefaultParams(limit=10)
    assert job.make_params({}) == DefaultParams(limit=10)
    assert job.params_dict(None) == {"limit": 10}


@pytest.mark.parametrize("value", [None, {}, {"label": "x"}])
def test_make_params_missing_required_field(value: Any) -> None:
    with pytest.raises(ParamsError) as info:
        _params_job().make_params(value)
    message = str(info.value)
    assert message.startswith("params of job 'with_params': limit: required field missing (int)")


def test_make_params_wrong_type_names_field() -> None:
    with pytest.raises(ParamsError, match=r"limit: expected int, got str 'many'"):
        _params_job().make_params({"limit": "many"})


def test_make_params_unknown_field() -> None:
    with pytest.raises(ParamsError, match=r"limmit: unknown field \(did you mean 'limit'\?\)"):
        _params_job().make_params({"limit": 1, "limmit": 2})


@pytest.mark.parametrize("value", [[1], 5, "limit=5", Seed(1)])
def test_make_params_rejects_non_mappings(value: Any) -> None:
    with pytest.raises(ParamsError, match="expected a mapping or a Params instance"):
        _params_job().make_params(value)


def test_params_dict_is_json_ready() -> None:
    assert _params_job().params_dict({"limit": 2}) == {"limit": 2, "label": "all"}


def test_job_without_params() -> None:
    job = dag.job("no_params").add(root_op()).build()
    assert job.params_type is None
    assert job.make_params(None) is None
    assert job.make_params({}) is None
    assert job.params_dict() == {}
    with pytest.raises(ParamsError, match="job 'no_params': the job takes no params"):
        job.make_params({"limit": 1})
    with pytest.raises(ParamsError, match="takes no params"):
        job.make_params(Params(limit=1))


# --- schedules -------------------------------------------------------------------------


def test_schedules_are_kept_with_their_keys() -> None:
    job = (
        dag.job("scheduled", params=Params)
        .add(root_op())
        .schedule("*/15 * * * *", params={"limit": 15})
        .schedule("30 2 * * *", timezone="Europe/Berlin", enabled=False, params={"limit": 2})
        .schedule("0 9 * * 1", key="monday_report", params={"limit": 1}, tags={"t": "v"})
        .build()
    )
    keys = [s.effective_key for s in job.schedules]
    assert keys == ["every_15_minutes", "daily_at_02_30", "monday_report"]
    assert job.schedules[1].timezone == "Europe/Berlin"
    assert job.schedules[1].enabled is False
    assert job.schedules[2].params == {"limit": 1}


def test_bad_cron_names_job_and_schedule() -> None:
    error = build_error(dag.job("cronjob").add(root_op()).schedule("61 * * * *", key="broken"))
    (problem,) = error.problems
    assert problem.startswith(
        "job 'cronjob' schedule 'broken': invalid cron expression '61 * * * *'")


@pytest.mark.parametrize(("cron", "hint"), [
    ("0 25 * * *", "hour 25 is out of range 0-23"),
    ("61 * * * *", "minute 61 is out of range 0-59"),
    ("0 0 32 * *", "day-of-month 32 is out of range 1-31"),
    ("0 0 0 * *", "day-of-month 0 is out of range 1-31"),
    ("0 0 1 13 *", "month 13 is out of range 1-12"),
    ("0 0 * * 8", "day-of-week 8 is out of range 0-7"),
    ("0 9-25 * * *", "hour 25 is out of range 0-23"),
    ("0 1,2,30 * * *", "hour 30 is out of range 0-23"),
    ("0 0 1-40/2 * *", "day-of-month 40 is out of range 1-31"),
    ("*/0 * * * *", "minute step '0' must be a whole number of at least 1"),
    ("0 0 * jan-foo *", "month 'foo' is not a month name (jan-dec)"),
    ("0 0 * * 1#6", "day-of-week occurrence #6 is out of range 1-5"),
])
def test_an_out_of_range_cron_field_is_named_with_its_range(cron: str, hint: str) -> None:
    error = build_error(dag.job("cronjob").add(root_op()).schedule(cron, key="broken"))
    (problem,) = error.problems
    assert problem.startswith(
        f"job 'cronjob' schedule 'broken': invalid cron expression {cron!r}: {hint}")


def test_bad_cron_with_derived_key() -> None:
    error = build_error(dag.job("cronjob").add(root_op()).schedule("every day"))
    (problem,) = error.problems
    assert problem.startswith("job 'cronjob' schedule 'cron_every_day': invalid cron expression")


@pytest.mark.parametrize("tz", ["Mars/Olympus", "", "../etc/passwd"])
def test_unknown_timezone_names_job_and_schedule(tz: str) -> None:
    error = build_error(dag.job("tzjob").add(root_op()).schedule("30 2 * * *", timezone=tz))
    (problem,) = error.problems
    assert problem.startswith(f"job 'tzjob' schedule 'daily_at_02_30': unknown timezone {tz!r}")


def test_duplicate_schedule_keys() -> None:
    builder = dag.job("dup_sched").add(root_op()).schedule("0 * * * *").schedule("@hourly")
    error = build_error(builder)
    assert error.problems == [
        "job 'dup_sched': two schedules have the key 'hourly'; give one of them an explicit key="
    ]
    # An explicit key resolves the clash.
    job = (
        dag.job("dup_sched").add(root_op())
        .schedule("0 * * * *").schedule("@hourly", key="hourly_alias").build()
    )
    assert [s.effective_key for s in job.schedules] == ["hourly", "hourly_alias"]


def test_malformed_explicit_schedule_key() -> None:
    error = build_error(dag.job("job").add(root_op()).schedule("* * * * *", key="bad key"))
    problem_with(error, "job 'job': schedule key name 'bad key' is malformed")


def test_add_schedule_definition() -> None:
    schedule = dag.ScheduleDefinition(cron="0 0 1 * *", timezone="UTC")
    job = dag.job("monthly").add(root_op()).add_schedule(schedule).build()
    assert job.schedules == (schedule,)
    assert job.schedules[0].effective_key == "monthly_on_1_at_00_00"


# --- Definitions -----------------------------------------------------------------------


def test_definitions_groups_jobs() -> None:
    first = dag.job("first").add(root_op()).build()
    second = dag.job("second").add(root_op()).build()
    defs = Definitions(jobs=[first, second])

    assert defs.jobs == (first, second)
    assert defs.job("second") is second
    assert defs.jobs_by_name == {"first": first, "second": second}
    known = r"no job named 'third' \(defined jobs: first, second\)"
    with pytest.raises(JobNotFoundError, match=known):
        defs.job("third")


def test_definitions_rejects_duplicate_job_names() -> None:
    one = dag.job("same").add(root_op()).build()
    two = dag.job("same").add(root_op()).build()
    with pytest.raises(DefinitionError) as info:
        Definitions(jobs=[one, two])
    assert info.value.problems == ["two jobs are named 'same'"]


def test_definitions_rejects_unbuilt_builder() -> None:
    builder = dag.job("unbuilt").add(root_op())
    with pytest.raises(DefinitionError) as info:
        Definitions(jobs=[builder])  # type: ignore[list-item]
    assert info.value.problems == ["job 'unbuilt' was added without .build(); call .build()"]


def test_definitions_rejects_non_jobs_and_lists_every_problem() -> None:
    built = dag.job("ok").add(root_op()).build()
    with pytest.raises(DefinitionError) as info:
        Definitions(jobs=[built, "not a job", dag.job("unbuilt"), built])  # type: ignore[list-item]
    problems = info.value.problems
    assert len(problems) == 3
    assert "'not a job' is not a job" in problems[0]
    assert "job 'unbuilt' was added without .build()" in problems[1]
    assert problems[2] == "two jobs are named 'ok'"


def test_definitions_merge_rejects_duplicates() -> None:
    job = dag.job("shared").add(root_op()).build()
    other = dag.job("other").add(root_op()).build()
    merged = Definitions.merge(Definitions(jobs=[job]), other)
    assert [j.name for j in merged.jobs] == ["shared", "other"]
    with pytest.raises(DefinitionError, match="two jobs are named 'shared'"):
        Definitions.merge(Definitions(jobs=[job]), job)
    with pytest.raises(DefinitionError, match="two resources are named 'db'"):
        Definitions.merge(Definitions(resources={"db": 1}), Definitions(resources={"db": 2}))
    both = Definitions.merge(Definitions(resources={"db": 1}), Definitions(resources={"s3": 2}))
    assert dict(both.resources) == {"db": 1, "s3": 2}
    assert both.jobs_by_name is both.jobs_by_name  # built once


def test_definitions_refuse_what_is_not_an_asset() -> None:
    with pytest.raises(DefinitionError) as info:
        Definitions(assets=["report"])  # type: ignore[list-item]
    assert info.value.problems == [
        "'report' is not an asset; define assets with @asset, or AssetSpec for one made "
        "outside daggo",
    ]


# --- snapshot --------------------------------------------------------------------------


def test_snapshot_is_json_and_lists_ops_in_order() -> None:
    ops = _fan_in_ops()
    job = (
        dag.job("snap", params=Params, description="a job", tags={"team": "data"})
        .add(*ops.values(), dag.op("maybe", maybe_seed), dag.op("none", collect_lonely))
        .schedule("30 2 * * *", timezone="Europe/Berlin", enabled=False, params={"limit": 5})
        .build()
    )
    snapshot = job.snapshot()
    stored = unstructure(snapshot)
    assert json.loads(json.dumps(stored)) == stored
    assert structure(stored, JobSnapshot) == snapshot
    assert stored["version"] == SNAPSHOT_VERSION

    assert snapshot.order == job.order
    by_name = {op.name: op for op in snapshot.ops}
    assert by_name["seed"].input_type == "NoInput"
    assert by_name["seed"].output_type == "Seed"
    assert by_name["seed"].inputs == ()
    assert by_name["seed"].description == "Make the seed."
    (sink_input,) = by_name["sink"].inputs
    assert sink_input.field == "leaves"
    assert sink_input.wiring is Wiring.MANY
    assert sink_input.producers == ("from_nothing", "from_seed", "from_mid")
    assert "Leaf" in sink_input.type
    assert stored["ops"][job.order.index("from_mid")]["inputs"] == [
        {"field": "mid", "type": "Mid", "wiring": "one", "producers": ["mid"]}
    ]
    assert by_name["maybe"].inputs[0].wiring is Wiring.OPTIONAL
    assert by_name["maybe"].inputs[0].producers == ("seed",)
    assert by_name["none"].inputs[0].producers == ()

    assert stored["schedules"] == [
        {"key": "daily_at_02_30", "cron": "30 2 * * *", "timezone": "Europe/Berlin",
         "enabled": False, "catch_up": "latest", "catch_up_window_seconds": 86400.0,
         "overlap": "skip", "pause_after_failures": None, "tags": {}}
    ]
    scalar = {"args": [], "values": [], "ref": None}
    assert stored["params"] == [
        {"name": "limit", "type": "int", "required": True, "default": None,
         "schema": {"kind": "int", "label": "int", **scalar}},
        {"name": "label", "type": "str", "required": False, "default": "all",
         "schema": {"kind": "str", "label": "str", **scalar}},
    ]
    assert stored["param_classes"] == []
    assert snapshot.tags == {"team": "data"}
    assert job.description == "a job"


def test_snapshot_edges_and_layers_follow_the_wiring() -> None:
    ops = _fan_in_ops()
    snapshot = dag.job("fan").add(*ops.values()).build().snapshot()
    edges = {(e.source, e.target) for e in snapshot.edges()}
    assert ("seed", "from_seed") in edges and ("mid", "from_mid") in edges
    assert {("from_nothing", "sink"), ("from_seed", "sink"), ("from_mid", "sink")} <= edges
    layers = snapshot.layers()
    assert set(layers[0]) == {"seed", "from_nothing"}
    assert layers[-1] == ("sink",)
    depth = {name: i for i, layer in enumerate(layers) for name in layer}
    assert all(depth[e.source] < depth[e.target] for e in snapshot.edges())


# --- scale -----------------------------------------------------------------------------


def _chain_ops(count: int) -> list[OpDefinition]:
    """`count` ops, op_i consuming op_{i-1}'s output, each with its own output type."""
    outs = [
        attrs.make_class(f"ChainOut{i}", {"value": attrs.field(type=int)}, frozen=True)
        for i in range(count)
    ]
    ops = []
    for i in range(count):
        if i == 0:
            in_type: Any = NoInput
        else:
            in_type = attrs.make_class(
                f"ChainIn{i}", {"prev": attrs.field(type=outs[i - 1])}, frozen=True
            )

        def fn(ctx: Context, inp: Any) -> Any:
            raise NotImplementedError

        fn.__annotations__ = {"ctx": Context, "inp": in_type, "return": outs[i]}
        fn.__name__ = fn.__qualname__ = f"chain_{i}"
        ops.append(dag.op(f"op_{i:04d}", fn))
    return ops


def test_thousand_op_chain_builds_in_order() -> None:
    ops = _chain_ops(1000)
    shuffled = ops[:]
    random.Random(7).shuffle(shuffled)

    job = dag.job("chain").add(*shuffled).build()

    expected = tuple(f"op_{i:04d}" for i in range(1000))
    assert job.order == expected
    for i in range(1, 1000):
        assert job.inputs[f"op_{i:04d}"][0].producers == (f"op_{i - 1:04d}",)
    assert len(job.snapshot().ops) == 1000


def test_thousand_leaf_fan_out_fan_in() -> None:
    leaves = [dag.op(f"leaf_{i:04d}", leaf_from_seed) for i in range(1000)]
    job = dag.job("fan").add(dag.op("sink", collect_leaves), *leaves, root_op()).build()

    leaf_names = tuple(op.name for op in leaves)
    assert job.order == ("seed", *leaf_names, "sink")
    (binding,) = job.inputs["sink"]
    assert binding.producers == leaf_names
    assert all(job.inputs[name][0].producers == ("seed",) for name in leaf_names)
    assert job.upstream("sink") == leaf_names
