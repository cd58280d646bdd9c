"""The API's contract as its description states it: an example call of every method
that is a real message of its classes, page sizes on every list, lists of summaries."""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import cattrs
import pytest
import sqlalchemy
from openapi_schema_validator import OAS31Validator

import daggo_core
from daggo_core import Definitions, JobDefinition, Queue, dag
from daggo_core.config import default_config
from daggo_core.definitions.assets import asset
from daggo_core.definitions.partitions import DailyPartitions
from daggo_core.errors import InvalidArgumentError
from daggo_core.rpc.openapi import openapi_spec
from daggo_core.rpc.reference import call_body
from daggo_core.rpc.registry import RpcMethod, rpc_methods
from daggo_core.serde import structure_strict, unstructure
from daggo_core.services.assets import EVENTS_PAGE as ASSET_EVENTS_PAGE
from daggo_core.services.assets import EVENTS_PAGE_MAX as ASSET_EVENTS_PAGE_MAX
from daggo_core.services.assets import AssetsReportEventRequest
from daggo_core.services.backfills import (
    BACKFILLS_PAGE,
    BACKFILLS_PAGE_MAX,
    PLAN_PAGE,
    PLAN_PAGE_MAX,
    BackfillsLaunchRequest,
)
from daggo_core.services.cursors import encode_cursor
from daggo_core.services.dynamic_partitions import (
    KEYS_PAGE,
    KEYS_PAGE_MAX,
    DynamicPartitionsAddRequest,
)
from daggo_core.services.jobs import JOBS_PAGE, JOBS_PAGE_MAX
from daggo_core.services.paging import page_size
from daggo_core.services.queues import (
    ITEMS_PAGE,
    ITEMS_PAGE_MAX,
    PARTITIONS_PAGE,
    PARTITIONS_PAGE_MAX,
)
from daggo_core.services.runs import EVENTS_PAGE, EVENTS_PAGE_MAX, RUNS_PAGE, RUNS_PAGE_MAX
from daggo_core.services.schedules import (
    SCHEDULES_PAGE,
    SCHEDULES_PAGE_MAX,
    TICKS_PAGE,
    TICKS_PAGE_MAX,
    SchedulesGetManyRequest,
)
from daggo_core.services.sync import sync_definitions
from daggo_core.services.workers import WORKERS_PAGE, WORKERS_PAGE_MAX
from daggo_core.storage.base import Storage
from daggo_core.storage.records import WorkerRecord, WorkerState
from daggo_core.testing.services import services_over
from tests.conftest import BackendUnderTest
from tests.test_rpc import op

#: Every list method and its page sizes (default, maximum).
LISTS = {"Jobs.GetMany": (JOBS_PAGE, JOBS_PAGE_MAX), "Runs.GetMany": (RUNS_PAGE, RUNS_PAGE_MAX),
         "Runs.Events": (EVENTS_PAGE, EVENTS_PAGE_MAX),
         "Schedules.GetMany": (SCHEDULES_PAGE, SCHEDULES_PAGE_MAX),
         "Schedules.Ticks": (TICKS_PAGE, TICKS_PAGE_MAX),
         "Workers.GetMany": (WORKERS_PAGE, WORKERS_PAGE_MAX),
         "QueueItems.GetMany": (ITEMS_PAGE, ITEMS_PAGE_MAX),
         "Partitions.GetMany": (PARTITIONS_PAGE, PARTITIONS_PAGE_MAX),
         "Assets.GetEvents": (ASSET_EVENTS_PAGE, ASSET_EVENTS_PAGE_MAX),
         "Backfills.GetMany": (BACKFILLS_PAGE, BACKFILLS_PAGE_MAX),
         "Backfills.GetPartitions": (PLAN_PAGE, PLAN_PAGE_MAX),
         "DynamicPartitions.GetMany": (KEYS_PAGE, KEYS_PAGE_MAX)}
#: The lists that are not paged: what the serving process has installed, and the queues
#: and assets of the app's code (each with its counts).
UNPAGED = {"Plugins.GetMany", "Queues.GetMany", "Assets.GetMany"}
#: The paged lists not named GetMany: each is a list of something of one record.
PAGED_WITHIN = {"Runs.Events", "Schedules.Ticks", "Assets.GetEvents",
                "Backfills.GetPartitions"}
#: What a list item never carries: a run's params, a step's outputs, a traceback.
NOT_IN_LISTS = {"params", "outputs", "output", "traceback", "payload"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[daggo_core.DaggoApp]:
    cfg = default_config()
    cfg.database.sqlite.path = str(tmp_path_factory.mktemp("spec") / "daggo.sqlite")
    cfg.scheduler.enabled = False
    opened = daggo_core.open(cfg)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def methods(app: daggo_core.DaggoApp) -> dict[str, RpcMethod]:
    return rpc_methods(app.services)


@pytest.fixture(scope="module")
def spec(methods: dict[str, RpcMethod]) -> dict[str, Any]:
    return openapi_spec(methods, daggo_core.__version__)


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> OAS31Validator:
    return OAS31Validator({**schema, "components": spec["components"]})


def test_every_method_has_an_example_of_its_own_messages(
        methods: dict[str, RpcMethod], spec: dict[str, Any]) -> None:
    for name, method in methods.items():
        assert method.example is not None, f"{name} has no example"
        response = method.example.response
        assert type(response) is method.response, name
        assert structure_strict(unstructure(response), method.response) == response, name
        if method.request is None:
            assert method.example.request is None, name
        else:
            assert type(method.example.request) is method.request, name
            body = spec["paths"][f"/rpc/{name}"]["post"]["requestBody"]
            given = body["content"]["application/json"]["examples"]["example"]["value"]
            assert structure_strict(given, method.request) == method.example.request, name


def test_the_examples_in_the_spec_match_their_schemas(spec: dict[str, Any]) -> None:
    for path, item in spec["paths"].items():
        if "post" not in item:  # an event stream: its messages are documented in text
            continue
        operation = item["post"]
        media = [operation["responses"]["200"]["content"]["application/json"]]
        if "requestBody" in operation:
            media.append(operation["requestBody"]["content"]["application/json"])
        for content in media:
            example = content["examples"]["example"]["value"]
            errors = [e.message for e in _validator(spec, content["schema"]).iter_errors(example)]
            assert errors == [], f"{path}: {errors}"


def test_a_wrong_example_fails_its_schema(spec: dict[str, Any]) -> None:
    """The check above can fail: an example of the wrong shape breaks its schema."""
    schema = {"$ref": "#/components/schemas/RunsCountResponse"}
    assert not _validator(spec, schema).is_valid({"count": "many"})
    assert not _validator(spec, schema).is_valid({"count": 1, "total": 2})


def test_every_list_pages_by_cursor_with_a_default_and_a_maximum(
        methods: dict[str, RpcMethod], spec: dict[str, Any]) -> None:
    lists = {name for name, method in methods.items()
             if method.request is not None and "cursor" in attrs.fields_dict(method.request)}
    assert lists == set(LISTS) == {name for name in methods
                                   if name.endswith("GetMany") and name not in UNPAGED
                                   } | PAGED_WITHIN
    schemas = spec["components"]["schemas"]
    for name, (default, maximum) in LISTS.items():
        method = methods[name]
        assert method.request is not None
        field = attrs.fields_dict(method.request)["limit"]
        assert page_size(field) is not None and field.default == default
        request = schemas[method.request.__name__]
        assert request["properties"]["limit"] == {"type": "integer", "default": default,
                                                  "minimum": 1, "maximum": maximum}, name
        assert "next_cursor" in schemas[method.response.__name__]["properties"], name


def _properties(schema: dict[str, Any], schemas: dict[str, Any],
                seen: set[str]) -> Iterator[str]:
    """Every property name reachable from `schema`, through references."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            yield from _properties(schemas[name], schemas, seen)
        return
    for key, inner in schema.get("properties", {}).items():
        yield key
        yield from _properties(inner, schemas, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _properties(schema[key], schemas, seen)
    for option in schema.get("anyOf", ()):
        yield from _properties(option, schemas, seen)


def test_lists_return_summaries_without_params_outputs_or_tracebacks(
        spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    # Runs.Events is the log itself (its lines are what it lists): not a list of summaries.
    for name in [*set(LISTS) - {"Runs.Events"}, *UNPAGED]:
        response = spec["paths"][f"/rpc/{name}"]["post"]["responses"]["200"]
        reached: set[str] = set()
        found = set(_properties(response["content"]["application/json"]["schema"], schemas,
                                reached))
        assert found & NOT_IN_LISTS == set(), name
        assert "ErrorInfo" not in reached, name
    # The check reaches what lists carry, and finds a traceback where one is.
    detail = set(_properties({"$ref": "#/components/schemas/RunDetail"}, schemas, set()))
    assert {"traceback", "params", "error_message"} <= detail


def test_pages_deep_in_a_list_use_no_offset(
        storage_backend: BackendUnderTest, apps: Callable[..., daggo_core.DaggoApp]) -> None:
    """Every list of the API reads its third page after its cursor by keyset, never by
    OFFSET (SQLite's dialect writes `LIMIT ? OFFSET ?` for any limit: its offset must be
    0)."""
    cfg = default_config()
    cfg.database = storage_backend.database
    cfg.scheduler.enabled = False
    jobs = [_scheduled(name, "first", "second") for name in ("alpha", "beta", "gamma")]
    deliveries = (Queue[_Delivery]("deliveries").partition_key(lambda d: d.customer)
                  .jobs(jobs[1]).build())
    app = apps(cfg, Definitions(jobs=jobs, queues=[deliveries], assets=[_days]))
    executed = daggo_core.execute(jobs[0], storage=app.storage)  # events to page through
    app.push("deliveries", *({"customer": c} for c in ("acme", "globex", "zen")))
    for _ in range(2):
        app.launch("alpha")
    scheduler = app.start_scheduler()
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for hours in range(4):  # a due tick of every schedule each hour
        scheduler.tick(start + dt.timedelta(hours=hours, seconds=1))
    for pid in (1, 2, 3):
        app.storage.save_worker(WorkerRecord(id=f"h:{pid}", host="h", pid=pid,
                                             executor="subprocess", state=WorkerState.IDLE,
                                             version="0.1.0"))
    services = app.services
    for n in range(3):
        services.assets.report_event(AssetsReportEventRequest(
            key="days", partition_key="2024-01-01", metadata={"n": n}))
    backfills = [services.backfills.launch(BackfillsLaunchRequest(asset="days"))
                 for _ in range(3)]
    services.dynamic_partitions.add(DynamicPartitionsAddRequest(name="customers",
                                                                keys=("acme", "globex", "zen")))
    offsets: list[Any] = []
    limits: list[str] = []

    def record(conn: Any, cursor: Any, sql: str, parameters: Any, *args: Any) -> None:
        if " LIMIT " in sql:
            limits.append(sql)
        for found in re.finditer(r" OFFSET (\?|\w+)", sql):
            # SQLite's `OFFSET ?` (of the query or of a subquery): the parameter it takes
            offsets.append(parameters[sql.count("?", 0, found.start())]
                           if found[1] == "?" else found[1])

    engine = app.storage._tx.engine  # type: ignore[attr-defined]
    sqlalchemy.event.listen(engine, "before_cursor_execute", record)
    third_pages: list[str] = []

    async def pages() -> None:
        client = app.asgi.test_client()
        for name in LISTS:
            body: dict[str, Any] = {"limit": 1}
            if name == "Runs.Events":
                body["run_id"] = executed.run_id
            if name == "Schedules.Ticks":
                body["job"] = "alpha"
            if name == "Partitions.GetMany":
                body["queue"] = "deliveries"
            if name == "Assets.GetEvents":
                body["key"] = "days"
            if name == "Backfills.GetPartitions":
                body["id"] = backfills[0].id
            if name == "DynamicPartitions.GetMany":
                body["name"] = "customers"
            for page_number in (1, 2, 3):
                answer = await client.post(f"/rpc/{name}", json=body)
                page = await answer.get_json()
                assert answer.status_code == 200, page
                assert len(next(v for v in page.values() if isinstance(v, list))) == 1, page
                if page_number == 3:
                    third_pages.append(name)
                    break
                assert page["next_cursor"], (name, page_number, page)
                body["cursor"] = page["next_cursor"]

    asyncio.run(pages())
    assert third_pages == list(LISTS)
    assert limits
    assert all(offset == 0 for offset in offsets), offsets


def test_the_spec_is_plain_json(spec: dict[str, Any]) -> None:
    assert json.loads(json.dumps(spec)) == spec


@attrs.frozen
class _Delivery:
    customer: str


@asset(key="days", partitions=DailyPartitions("2024-01-01", end="2024-01-04"))
def _days(ctx: daggo_core.Context, inp: daggo_core.NoInput) -> _Delivery:
    return _Delivery(customer="acme")


def _scheduled(name: str, *keys: str) -> JobDefinition:
    builder = dag.job(name).add(dag.op("op", op))
    for key in keys:
        builder = builder.schedule("0 * * * *", key=key)
    return builder.build()


def test_schedules_page_by_cursor_across_jobs(storage: Storage) -> None:
    sync_definitions(storage, Definitions(jobs=[
        _scheduled("alpha", "a1", "a2"), _scheduled("beta"), _scheduled("gamma", "g1"),
        _scheduled("delta", "d1", "d2", "d3")]))
    schedules = services_over(storage).schedules

    def every(job: str | None, limit: int) -> list[tuple[str, str]]:
        seen, cursor = [], None
        while True:
            page = schedules.get_many(SchedulesGetManyRequest(job=job, limit=limit,
                                                              cursor=cursor))
            assert len(page.schedules) <= limit
            seen += [(s.job_name, s.key) for s in page.schedules]
            if page.next_cursor is None:
                return seen
            cursor = page.next_cursor

    everything = [("alpha", "a1"), ("alpha", "a2"), ("delta", "d1"), ("delta", "d2"),
                  ("delta", "d3"), ("gamma", "g1")]
    assert every(None, SCHEDULES_PAGE) == everything
    for limit in (1, 2, 4):
        assert every(None, limit) == everything
    assert every("delta", 2) == everything[2:5]
    first = schedules.get_many(SchedulesGetManyRequest(limit=3))
    # The job a cursor stopped in went away: the next page starts at the next job.
    sync_definitions(storage, Definitions(jobs=[_scheduled("alpha", "a1", "a2"),
                                                _scheduled("gamma", "g1")]))
    rest = schedules.get_many(SchedulesGetManyRequest(cursor=first.next_cursor))
    assert [(s.job_name, s.key) for s in rest.schedules] == [("gamma", "g1")]
    with pytest.raises(InvalidArgumentError, match="a cursor of job 'delta'"):
        schedules.get_many(SchedulesGetManyRequest(job="alpha", cursor=first.next_cursor))
    with pytest.raises(InvalidArgumentError, match="limit: must be an integer from 1 to 1000"):
        schedules.get_many(SchedulesGetManyRequest(limit=SCHEDULES_PAGE_MAX + 1))
    with pytest.raises(InvalidArgumentError, match="not a cursor of this list"):
        schedules.get_many(SchedulesGetManyRequest(cursor=encode_cursor("jobs", "alpha")))


def test_the_page_sizes_in_the_docs_are_the_declared_ones() -> None:
    text = (Path(__file__).parent.parent / "docs" / "RPC.md").read_text()
    rows = re.findall(r"^\| `(\w+\.\w+)` \| ([\d,]+) \| ([\d,]+) \|", text, flags=re.MULTILINE)
    assert {name: (int(default.replace(",", "")), int(maximum.replace(",", "")))
            for name, default, maximum in rows} == LISTS


def test_an_example_call_is_the_example_request_with_each_missing_required_field_typed() -> None:
    schemas = {"Colour": {"enum": ["red", "blue"]}}
    request = {"required": ["name", "n", "colour"],
               "properties": {"name": {"type": "string"}, "n": {"type": "integer"},
                              "colour": {"$ref": "#/components/schemas/Colour"},
                              "shout": {"type": "boolean"}}}
    # No example (a plugin method may declare none): each required field valued by type.
    assert call_body(None, request, schemas) == {"name": "...", "n": 1, "colour": "red"}
    media = {"examples": {"example": {"value": {"name": "Ada", "shout": True}}}}
    assert call_body(media, request, schemas) == {
        "name": "Ada", "shout": True, "n": 1, "colour": "red"}
    assert call_body(media, request, schemas, required_only=True) == {
        "name": "Ada", "n": 1, "colour": "red"}


class _Mixed(str, enum.Enum):  # noqa: UP042 (the older spelling, as a plugin may write it)
    A = "a"


class _Plain(enum.Enum):
    X = 1


@attrs.frozen
class _EnumMessage:
    mixed: _Mixed
    plain: _Plain


def test_strict_bodies_take_only_enum_values_whatever_the_enum_is_made_of() -> None:
    assert structure_strict({"mixed": "a", "plain": 1}, _EnumMessage) == _EnumMessage(
        _Mixed.A, _Plain.X)
    assert isinstance(structure_strict({"mixed": "a", "plain": 1}, _EnumMessage).mixed, _Mixed)
    for wrong in ({"mixed": "bogus", "plain": 1}, {"mixed": "a", "plain": True},
                  {"mixed": "a", "plain": "1"}):
        with pytest.raises(cattrs.BaseValidationError):
            structure_strict(wrong, _EnumMessage)
