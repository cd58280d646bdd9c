"""What the job page computes without a browser: the graph's layout (500 ops included)
and the launch form's fields and params."""

from __future__ import annotations

import enum
import itertools

import pytest
from attrs import Factory, frozen

from daggo_core import Context, NoInput, dag
from daggo_core.definitions.params_schema import params_schema
from daggo_core.definitions.snapshot import InputSnapshot, JobSnapshot, OpSnapshot, Wiring
from daggo_core.errors import ParamsError
from daggo_core.web.formatting import cron_words, duration_words
from daggo_core.web.graph_layout import NODE_HEIGHT, lay_out
from daggo_core.web.launch_form import field_errors, form_fields, params_of


def chain_and_fans(width: int, depth: int) -> JobSnapshot:
    """`depth` layers of `width` ops, each reading every op of the layer before."""
    ops = []
    for level in range(depth):
        for i in range(width):
            inputs = () if level == 0 else (InputSnapshot(
                field="up", type="X", wiring=Wiring.MANY,
                producers=tuple(f"op_{level - 1}_{j}" for j in range(width))),)
            ops.append(OpSnapshot(name=f"op_{level}_{i}", inputs=inputs))
    return JobSnapshot(ops=tuple(ops))


def test_ops_go_in_columns_by_depth_and_never_overlap() -> None:
    layout = lay_out(chain_and_fans(width=25, depth=20))  # 500 ops
    assert len(layout.nodes) == 500 and len(layout.edges) == 19 * 25 * 25
    by_name = {n.name: n for n in layout.nodes}
    assert len({n.x for n in layout.nodes}) == 20  # one column per depth
    assert by_name["op_0_0"].x < by_name["op_1_0"].x < by_name["op_19_0"].x
    for column in {n.x for n in layout.nodes}:
        ys = sorted(n.y for n in layout.nodes if n.x == column)
        assert all(b - a >= NODE_HEIGHT for a, b in itertools.pairwise(ys))
    assert all(n.x >= 0 and n.x + n.width <= layout.width for n in layout.nodes)
    assert all(n.y >= 0 and n.y + n.height <= layout.height for n in layout.nodes)


def test_an_op_sits_level_with_what_it_reads() -> None:
    snapshot = JobSnapshot(ops=(
        OpSnapshot(name="b"), OpSnapshot(name="a"),
        OpSnapshot(name="reads_a", inputs=(InputSnapshot(
            field="x", type="A", wiring=Wiring.ONE, producers=("a",)),)),
        OpSnapshot(name="reads_b", inputs=(InputSnapshot(
            field="x", type="B", wiring=Wiring.ONE, producers=("b",)),)),
    ))
    nodes = {n.name: n for n in lay_out(snapshot).nodes}
    assert nodes["reads_b"].y == nodes["b"].y and nodes["reads_a"].y == nodes["a"].y
    assert nodes["reads_b"].y < nodes["reads_a"].y  # uncrossed, though declared after


def test_a_long_name_is_shortened_to_fit_its_node() -> None:
    (node,) = lay_out(JobSnapshot(ops=(OpSnapshot(name="x" * 80),))).nodes
    assert node.label.endswith("…") and len(node.label) < 80
    assert lay_out(JobSnapshot()).nodes == ()


class Mode(enum.StrEnum):
    FULL = "full"
    QUICK = "quick"


@frozen
class Where:
    bucket: str


@frozen
class Params:
    limit: int
    ratio: float = 0.5
    label: str = "all"
    mode: Mode = Mode.QUICK
    dry_run: bool = True
    sources: list[str] = Factory(list)
    where: Where | None = None


def out(ctx: Context, inp: NoInput) -> Where:
    return Where("b")


SCHEMA = params_schema(Params)
JOB = dag.job("j", params=Params).add(dag.op("o", out)).build()


def test_fields_follow_the_params_types_with_their_defaults() -> None:
    fields = {f.name: f for f in form_fields(SCHEMA)}
    assert [f.name for f in form_fields(SCHEMA)] == [
        "limit", "ratio", "label", "mode", "dry_run", "sources", "where"]
    assert (fields["limit"].input, fields["limit"].required, fields["limit"].value) == (
        "number", True, "")
    assert (fields["ratio"].input, fields["ratio"].value) == ("number", "0.5")
    assert fields["mode"].input == "select" and fields["mode"].value == '"quick"'
    assert fields["mode"].options == (('"full"', "full"), ('"quick"', "quick"))
    assert fields["dry_run"].input == "checkbox" and fields["dry_run"].checked
    assert (fields["sources"].input, fields["sources"].value) == ("json", "[]")
    assert fields["where"].input == "json" and fields["where"].value == ""


def test_a_submitted_form_becomes_params_the_job_takes() -> None:
    form = {"limit": "7", "ratio": "2", "label": "", "mode": '"full"',
            "sources": '["s3"]', "where": '{"bucket": "x"}'}  # dry_run unticked
    params = params_of(SCHEMA, form)
    assert params == {"limit": 7, "ratio": 2.0, "mode": "full", "dry_run": False,
                      "sources": ["s3"], "where": {"bucket": "x"}}
    assert JOB.params_dict(params)["label"] == "all"  # left empty: its default


def test_values_the_form_cannot_convert_get_the_jobs_own_errors() -> None:
    params = params_of(SCHEMA, {"limit": "seven", "ratio": "half"})
    with pytest.raises(ParamsError) as refused:
        JOB.params_dict(params)
    by_field, general = field_errors(refused.value, ["limit", "ratio"])
    assert by_field["limit"] == ["limit: expected int, got str 'seven'"]
    assert by_field["ratio"][0].startswith("ratio: expected float")
    assert general == []


def test_json_that_does_not_parse_is_refused_at_its_field() -> None:
    with pytest.raises(ParamsError) as refused:
        params_of(SCHEMA, {"limit": "1", "sources": "[oops"})
    by_field, _ = field_errors(refused.value, ["limit", "sources"])
    assert by_field["sources"][0].startswith("sources: not JSON (")


@pytest.mark.parametrize(("seconds", "words"), [
    (None, ""), (0.00004, "under 1 ms"), (0.0025, "2.5 ms"), (0.25, "250 ms"), (4.25, "4.2 s"),
    (42, "42 s"), (185, "3 min 5 s"), (180, "3 min"), (7440, "2 h 4 min"),
    (3 * 86400 + 7200, "3 days 2 h"), (86400, "1 day")])
def test_durations_are_said_in_words(seconds: float | None, words: str) -> None:
    assert duration_words(seconds) == words


def test_crons_are_said_in_words_or_shown_as_they_are() -> None:
    assert cron_words("0 3 * * *") == "At 03:00 AM"
    assert cron_words("*/5 * * * *") == "Every 5 minutes"
    assert cron_words("not a cron") == "not a cron"
