"""An op's output is checked and serialized in its step's attempt: a bad one fails the step
as the user's error, with what was expected and what was got, and is never retried."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import pytest
from attrs import define, frozen

from daggo_core import Context, NoInput, RetryPolicy, dag, execute
from daggo_core.execution.step_output import SERIALIZABLE_HINT
from daggo_core.storage.base import Storage
from daggo_core.storage.records import ErrorSource, EventKind, RunStatus, StepStatus
from daggo_core.value_types import MAX_MISMATCHES, type_mismatches


class Handle:
    """A value no output can hold."""


class Color(enum.Enum):
    RED = "red"


class Opaque(enum.Enum):
    ONLY = Handle()


@frozen
class Count:
    value: int


@frozen
class Report:
    counts: list[Count]
    ratios: dict[str, float | None]
    day: dt.date
    pair: tuple[int, str] = (0, "")
    color: Color | None = None


@frozen
class Tagged:
    tag: Opaque | None = None
    label: str = ""


@frozen
class CountIn:
    count: Count


@frozen
class Done:
    ok: bool


def after(ctx: Context, inp: CountIn) -> Done:
    return Done(True)


def run_op(storage: Storage, fn: Any, *downstream: Any, **op_options: Any) -> Any:
    job = dag.job("outputs").add(dag.op("produce", fn, **op_options), *downstream)
    return execute(job.build(), storage=storage)


def test_a_field_holding_what_json_cannot_fails_the_step_not_the_worker(storage):
    def produce(ctx: Context, inp: NoInput) -> Count:
        ctx.log.info("computed the count")
        return Count(Handle())  # type: ignore[arg-type]

    result = run_op(storage, produce, dag.op("after", after))
    run = storage.get_run(result.run_id)
    assert run.status is RunStatus.FAILURE and run.error is not None
    assert (run.error.type, run.error.source) == ("StepFailure", ErrorSource.USER)
    steps = {s.step_key: s for s in storage.list_steps(run.id)}
    assert steps["after"].status is StepStatus.SKIPPED
    error = steps["produce"].error
    assert steps["produce"].status is StepStatus.FAILURE and error is not None
    assert error.type == "daggo_core.errors.OutputError" and error.source is ErrorSource.USER
    assert "op 'produce' (" in error.message and "in produce)" in error.message
    assert "Count.value: expected int, got Handle" in error.message
    assert "give each field a value of its annotated type" in error.hint
    assert "step_output.py" not in error.traceback  # daggo's own frames are trimmed
    kinds = [(e.kind, e.message) for e in storage.list_events(run.id)]
    assert (EventKind.LOG, "computed the count") in kinds  # nothing the op logged is lost
    failure = next(e for e in storage.list_events(run.id) if e.kind is EventKind.STEP_FAILURE)
    assert failure.data["error"]["source"] == "user"
    assert storage.count_runs() == 1


def test_a_field_of_the_wrong_type_names_the_field_expected_and_got(storage):
    def produce(ctx: Context, inp: NoInput) -> Report:
        return Report([Count(1), Count("2")], {"a": 0.5, "b": "half"},  # type: ignore[list-item]
                      dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC))

    error = run_op(storage, produce).steps["produce"].error
    assert "Report.counts[1].value: expected int, got str '2'" in error.message
    assert "Report.ratios['b']: expected float | None, got str 'half'" in error.message
    assert "Report.day: expected date, got datetime" in error.message


def test_returning_another_class_says_which_was_expected(storage):
    def produce(ctx: Context, inp: NoInput) -> Count:
        return Report([], {}, dt.date(2024, 5, 1))  # type: ignore[return-value]

    error = run_op(storage, produce).steps["produce"].error
    assert "returned a Report, expected a Count: Report(" in error.message
    assert error.hint.startswith("return an instance of Count")


def test_an_output_error_is_not_retried_by_the_ops_retry_policy(storage):
    attempts: list[int] = []

    def produce(ctx: Context, inp: NoInput) -> Count:
        attempts.append(ctx.attempt)
        return Count("many")  # type: ignore[arg-type]

    result = run_op(storage, produce, retry=RetryPolicy(max_attempts=3, delay_seconds=0))
    assert attempts == [1]
    assert result.steps["produce"].status is StepStatus.FAILURE
    assert EventKind.STEP_RETRY not in {e.kind for e in storage.list_events(result.run_id)}


def test_a_value_only_json_refuses_is_caught_by_serializing_it_in_the_attempt(storage):
    def opaque(ctx: Context, inp: NoInput) -> Tagged:
        return Tagged(Opaque.ONLY)

    def surrogate(ctx: Context, inp: NoInput) -> Tagged:
        return Tagged(label="half a pair \ud800")

    error = run_op(storage, opaque).steps["produce"].error
    assert "cannot be serialized: Tagged['tag']: Handle" in error.message
    assert error.hint == SERIALIZABLE_HINT
    error = run_op(storage, surrogate).steps["produce"].error
    assert "Tagged['label']: text 'half a pair \\ud800' is not valid Unicode" in error.message


@define
class Node:
    children: list[Node]


def test_an_output_that_contains_itself_fails_its_step(storage):
    def produce(ctx: Context, inp: NoInput) -> Node:
        node = Node([])
        node.children.append(node)
        return node

    error = run_op(storage, produce).steps["produce"].error
    assert "its Node output contains itself" in error.message


def test_outputs_that_read_back_as_their_type_pass(storage):
    def produce(ctx: Context, inp: NoInput) -> Report:
        return Report((Count(True),), {"a": 1, "b": None}, dt.date(2024, 5, 1),  # type: ignore[arg-type]
                      pair=[3, "x"], color=Color.RED)  # type: ignore[arg-type]

    result = run_op(storage, produce)
    assert result.steps["produce"].status is StepStatus.SUCCESS
    assert result.steps["produce"].output == {
        "counts": [{"value": True}], "ratios": {"a": 1, "b": None}, "day": "2024-05-01",
        "pair": [3, "x"], "color": "red"}


@pytest.mark.parametrize(("value", "tp", "problems"), [
    (1, int, []),
    (True, int, []),
    (1, float, []),
    ("1", int, ["$: expected int, got str '1'"]),
    (1, bool, ["$: expected bool, got int 1"]),
    (None, int | None, []),
    (2, Count | None, ["$: expected Count, got int 2"]),
    ("x", int | bytes, ["$: expected int | bytes, got str 'x'"]),
    ("x", list[int] | None, ["$: expected list, got str 'x'"]),
    ([Count(1), 2], list[Count | None], ["$[1]: expected Count, got int 2"]),
    ([1, 2], tuple[int, ...], []),
    ((1,), tuple[int, str], ["$: expected a tuple of 2 items, got tuple (1,)"]),
    ({1, 2}, frozenset[int], []),
    ((x for x in ()), list[int], ["$: expected list, got generator <generator object <genexpr>"]),
    ({"a": [1, "b"]}, dict[str, list[int]], ["$['a'][1]: expected int, got str 'b'"]),
    ([], dict[str, int], ["$: expected dict, got list []"]),
    (dt.date(2024, 1, 1), dt.date, []),
    (Color.RED, Color, []),
    ("red", Color, ["$: expected Color, got str 'red'"]),
    ("b", Any, []),
])
def test_type_mismatches(value: Any, tp: Any, problems: list[str]) -> None:
    found = type_mismatches(value, tp, "$")
    assert [p.split(" at 0x")[0] for p in found] == problems


def test_type_mismatches_stop_at_the_limit() -> None:
    found = type_mismatches(["x"] * 100, list[int], "$")
    assert len(found) == MAX_MISMATCHES
