"""Run params: strict types with and without the app's code, one error shape for both."""

from __future__ import annotations

import datetime as dt
import enum
import typing
from pathlib import Path
from typing import Any

import pytest
from attrs import field, frozen, validators
from click.testing import CliRunner

from daggo_core import Context, Definitions, NoInput, dag, serde
from daggo_core.cli.main import cli
from daggo_core.definitions.params_schema import ParamSnapshot, TypeKind
from daggo_core.definitions.snapshot import JobSnapshot
from daggo_core.errors import DefinitionError, InvalidArgumentError, ParamsError
from daggo_core.services.jobs import JobsLaunchRequest
from daggo_core.services.sync import sync_definitions
from daggo_core.storage.base import Storage
from daggo_core.storage.records import JobRecord
from daggo_core.testing.services import services_over


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@frozen
class Item:
    count: int
    tag: str = ""


@frozen
class Tree:
    name: str
    children: list[Tree] = field(factory=list)


@frozen
class Strict:
    n: int
    ratio: float = 1.0
    flag: bool = False
    label: str = "all"
    limit: int | None = None
    when: dt.datetime | None = None
    day: dt.date | None = None
    color: Color = Color.RED
    level: Level = Level.LOW
    mode: typing.Literal["a", "b"] = "a"
    items: list[Item] = field(factory=list)
    weights: dict[str, float] = field(factory=dict)
    pair: tuple[int, str] = (0, "")
    item: Item | None = None
    tree: Tree | None = None


@frozen
class Done:
    ok: bool


def work(ctx: Context, inp: NoInput) -> Done:
    return Done(True)


JOB = dag.job("strict", params=Strict).add(dag.op("work", work)).build()
DEFS = Definitions(jobs=[JOB])

#: Values cattrs used to coerce (or accept as another type), and what is said of each.
WRONG: list[tuple[dict[str, Any], str]] = [
    ({"n": 5.7}, "n: expected int, got float 5.7"),
    ({"n": 5.0}, "n: expected int, got float 5.0"),
    ({"n": True}, "n: expected int, got bool True"),
    ({"n": "5"}, "n: expected int, got str '5'"),
    ({"n": 1, "label": 20260101}, "label: expected str, got int 20260101"),
    ({"n": 1, "ratio": "1.5"}, "ratio: expected float, got str '1.5'"),
    ({"n": 1, "ratio": False}, "ratio: expected float, got bool False"),
    ({"n": 1, "flag": 1}, "flag: expected bool, got int 1"),
    ({"n": 1, "flag": "true"}, "flag: expected bool, got str 'true'"),
    ({"n": 1, "limit": "10"}, "limit: expected int | None, got str '10'"),
    ({"n": 1, "when": 20260101},
     "when: expected datetime | None (ISO 8601 text, e.g. '2026-01-31T09:30:00+00:00'), "
     "got int 20260101"),
    ({"n": 1, "day": "tomorrow"},
     "day: expected date | None (ISO 8601 text, e.g. '2026-01-31'), got str 'tomorrow'"),
    ({"n": 1, "color": "green"}, "color: expected Color (one of 'red', 'blue'), got str 'green'"),
    ({"n": 1, "level": True}, "level: expected Level (one of 1, 2), got bool True"),
    ({"n": 1, "level": "1"}, "level: expected Level (one of 1, 2), got str '1'"),
    ({"n": 1, "mode": "c"}, "mode: expected Literal['a', 'b'] (one of 'a', 'b'), got str 'c'"),
    ({"n": 1, "items": "ab"}, "items: expected list[Item], got str 'ab'"),
    ({"n": 1, "items": {"count": 1}}, "items: expected list[Item], got dict {'count': 1}"),
    ({"n": 1, "items": [{"count": 1}, {"count": 2.5}]},
     "items[1].count: expected int, got float 2.5"),
    ({"n": 1, "weights": {"a": "0.5"}}, "weights['a']: expected float, got str '0.5'"),
    ({"n": 1, "pair": [1, 2]}, "pair[1]: expected str, got int 2"),
    ({"n": 1, "pair": [1]}, "pair: expected tuple[int, str] (a list of 2 items), got list [1] "
                            "(1 items)"),
    ({"n": 1, "item": {"count": True}}, "item.count: expected int, got bool True"),
    ({"n": 1, "item": 3}, "item: expected Item | None, got int 3"),
    ({"n": 1, "tree": {"name": "a", "children": [{"name": 7}]}},
     "tree.children[0].name: expected str, got int 7"),
    ({"n": 1, "item": {"count": 1, "tagg": "x"}},
     "item.tagg: unknown field (did you mean 'tag'?)"),
    ({"m": 1}, "m: unknown field; n: required field missing (int)"),
]

EXPECTED_FIELDS = (
    "Expected fields: n: int, ratio: float = 1.0, flag: bool = False, label: str = 'all', "
    "limit: int | None = None, when: datetime | None = None, day: date | None = None, "
    "color: Color = 'red', level: Level = 1, mode: Literal['a', 'b'] = 'a', "
    "items: list[Item] = [] (Item: {count: int, tag: str = ''}), "
    "weights: dict[str, float] = {}, pair: tuple[int, str] = [0, ''], item: Item | None = None, "
    "tree: Tree | None = None (Tree: {name: str, children: list[Tree] = []})"
)


@pytest.mark.parametrize(("params", "problem"), WRONG)
def test_params_of_another_type_are_refused_naming_path_type_and_value(
        params: dict[str, Any], problem: str) -> None:
    with pytest.raises(ParamsError) as info:
        JOB.make_params(params)
    assert str(info.value) == f"params of job 'strict': {problem}. {EXPECTED_FIELDS}"


def test_every_wrong_field_is_named_in_one_error() -> None:
    with pytest.raises(ParamsError, match=r"^params of job 'strict': n: expected int, got float "
                                          r"5\.7; flag: expected bool, got int 0\. Expected"):
        JOB.make_params({"n": 5.7, "flag": 0})


def test_values_of_the_declared_types_are_taken_and_an_int_widens_to_a_float() -> None:
    params = JOB.make_params({
        "n": 3, "ratio": 2, "flag": True, "label": "x", "limit": None,
        "when": "2026-01-31T09:30:00+00:00", "day": "2026-01-31", "color": "blue", "level": 2,
        "mode": "b", "items": [{"count": 1}], "weights": {"a": 1, "b": 0.5}, "pair": [1, "x"],
        "item": {"count": 2, "tag": "t"}, "tree": {"name": "a", "children": [{"name": "b"}]},
    })
    assert params.ratio == 2.0 and type(params.ratio) is float
    assert type(params.weights["a"]) is float
    assert params.when == dt.datetime(2026, 1, 31, 9, 30, tzinfo=dt.UTC)
    assert params.day == dt.date(2026, 1, 31)
    assert (params.color, params.level) == (Color.BLUE, Level.HIGH)
    assert params.items == [Item(count=1)] and params.pair == (1, "x")
    assert params.tree == Tree(name="a", children=[Tree(name="b")])


def test_python_callers_may_give_enum_members_and_datetimes_in_a_mapping() -> None:
    when = dt.datetime(2026, 1, 31, 9, 30, tzinfo=dt.UTC)
    params = JOB.make_params({"n": 1, "color": Color.BLUE, "when": when,
                              "day": dt.date(2026, 1, 31)})
    assert (params.color, params.when, params.day) == (Color.BLUE, when, dt.date(2026, 1, 31))
    with pytest.raises(ParamsError, match=r"item: expected Item \| None, got Item Item\(count=1, "
                                          r"tag=''\) \(params given as a mapping take JSON values"):
        JOB.make_params({"n": 1, "item": Item(count=1)})


@frozen
class Positive:
    count: int = field(validator=validators.ge(0))


@frozen
class Bounded:
    n: int = field(validator=validators.ge(1))
    item: Positive = Positive(count=0)


def test_the_params_class_own_validators_are_reported_with_their_message() -> None:
    job = dag.job("bounded", params=Bounded).add(dag.op("work", work)).build()
    with pytest.raises(ParamsError, match=r"^params of job 'bounded': 'n' must be >= 1: 0$"):
        job.make_params({"n": 0})
    with pytest.raises(ParamsError, match=r"^params of job 'bounded': "
                                          r"item: 'count' must be >= 0: -1$"):
        job.make_params({"n": 1, "item": {"count": -1}})


def test_a_job_without_params_refuses_any() -> None:
    job = dag.job("plain").add(dag.op("work", work)).build()
    with pytest.raises(ParamsError, match=r"^params of job 'plain': the job takes no params, "
                                          r"got \{'n': 1\}$"):
        job.make_params({"n": 1})


def test_fixed_schedule_params_are_checked_strictly_at_build_time() -> None:
    builder = dag.job("strict", params=Strict).add(dag.op("work", work)).schedule(
        "0 * * * *", params={"n": "5"})
    with pytest.raises(DefinitionError) as info:
        builder.build()
    (problem,) = info.value.problems
    assert problem.startswith("job 'strict' schedule 'hourly': params of job 'strict': "
                              "n: expected int, got str '5'. Expected fields: n: int")


def test_the_snapshot_carries_the_params_schema_through_json() -> None:
    snapshot = JOB.snapshot()
    by_name = {p.name: p for p in snapshot.params}
    assert by_name["n"].schema is not None and by_name["n"].schema.kind is TypeKind.INT
    items = by_name["items"].schema
    assert items is not None and items.kind is TypeKind.LIST
    assert items.args[0].kind is TypeKind.CLASS
    assert [c.name for c in snapshot.param_classes] == ["Item", "Tree"]
    assert serde.loads(serde.dumps(snapshot), JobSnapshot) == snapshot


def test_a_snapshot_stored_before_params_schemas_still_reads() -> None:
    old = {"version": 2, "params": [{"name": "n", "type": "int", "required": True,
                                     "default": None}]}
    snapshot = serde.structure(old, JobSnapshot)
    assert snapshot.params == (ParamSnapshot(name="n", type="int", required=True),)
    assert snapshot.param_classes == ()


@pytest.fixture
def synced(storage: Storage) -> Storage:
    sync_definitions(storage, DEFS)
    return storage


def test_launch_without_the_code_checks_types_as_with_it(synced: Storage) -> None:
    with_code, without_code = services_over(synced, DEFS), services_over(synced)
    for params, _ in WRONG:
        request = JobsLaunchRequest(job="strict", params=params)
        with pytest.raises(ParamsError) as by_code:
            with_code.jobs.launch(request)
        with pytest.raises(InvalidArgumentError) as by_schema:
            without_code.jobs.launch(request)
        assert str(by_schema.value) == str(by_code.value)
    assert synced.count_runs() == 0
    run = without_code.jobs.launch(JobsLaunchRequest(
        job="strict", params={"n": 2, "ratio": 3, "items": [{"count": 1}]})).run
    assert synced.get_run(run.id).params == {"n": 2, "ratio": 3, "items": [{"count": 1}]}


def test_a_job_stored_without_a_params_schema_is_checked_by_field_names(
        storage: Storage) -> None:
    untyped = JobSnapshot(params=(ParamSnapshot(name="n", type="int", required=True),))
    storage.sync_jobs([JobRecord(name="old", snapshot=untyped)])
    services = services_over(storage)
    services.jobs.launch(JobsLaunchRequest(job="old", params={"n": "any value"}))
    with pytest.raises(ParamsError, match=r"^params of job 'old': m: unknown field; n: required "
                                          r"field missing \(int\)\. Expected fields: n: int$"):
        services.jobs.launch(JobsLaunchRequest(job="old", params={"m": 1}))


def _cli_env(backend: Any) -> dict[str, str | None]:
    """The environment pointing `daggo` at the test's database."""
    if backend.name == "sqlite":
        sqlite = backend.database.sections["sqlite"]
        return {"DAGGO_DATABASE_DRIVER": "sqlite", "DAGGO_SQLITE_PATH": sqlite.path}
    postgres = backend.database.sections["postgres"]
    return {"DAGGO_DATABASE_DRIVER": "postgres", "DAGGO_POSTGRES_DSN": postgres.dsn,
            "DAGGO_POSTGRES_SCHEMA": postgres.schema}


def test_cli_launch_on_storage_only_refuses_a_coercible_value(
        storage_backend: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = storage_backend.open()
    sync_definitions(storage, DEFS)
    monkeypatch.chdir(tmp_path)  # no daggo.toml, no app: only the database
    env = _cli_env(storage_backend)
    result = CliRunner().invoke(cli, ["job", "launch", "strict", "--params", '{"n": 5.7}'],
                                env=env)
    assert result.exit_code == 1
    assert "params of job 'strict': n: expected int, got float 5.7. Expected fields: n: int" \
        in result.output
    assert storage.count_runs() == 0
    accepted = CliRunner().invoke(cli, ["job", "launch", "strict", "--params", '{"n": 5}'],
                                  env=env)
    assert accepted.exit_code == 0, accepted.output
    assert [r.params for r in storage.list_runs()] == [{"n": 5}]
