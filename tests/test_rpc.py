"""The RPC API over the app's ASGI app, on each backend: every service method as
`POST /rpc/<Service>.<Method>`, strict request bodies and stable error codes."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen
from openapi_spec_validator import validate

import daggo_core
from daggo_core import Context, NoInput, dag
from daggo_core.config import default_config
from daggo_core.rpc.errors import rpc_error
from daggo_core.rpc.registry import rpc_methods
from tests.conftest import BackendUnderTest


@frozen
class Params:
    n: int = 1


@frozen
class Out:
    n: int


def op(ctx: Context, inp: NoInput) -> Out:
    return Out(ctx.params.n)


JOB = dag.job("job", params=Params).add(dag.op("op", op)).build()


def open_on(backend: BackendUnderTest, apps: Callable[..., daggo_core.DaggoApp], *,
            disable_ui: bool = False) -> daggo_core.DaggoApp:
    cfg = default_config()
    cfg.database = backend.database
    cfg.scheduler.enabled = False
    cfg.disable_ui = disable_ui
    return apps(cfg, JOB)


@pytest.fixture
def app(storage_backend: BackendUnderTest,
        apps: Callable[..., daggo_core.DaggoApp]) -> daggo_core.DaggoApp:
    return open_on(storage_backend, apps)


def call(app: daggo_core.DaggoApp, method: str, body: Any = None,
         raw: str | None = None) -> tuple[int, Any]:
    async def post() -> tuple[int, Any]:
        data = raw if raw is not None else json.dumps({} if body is None else body)
        response = await app.asgi.test_client().post(
            f"/rpc/{method}", data=data, headers={"Content-Type": "application/json"})
        return response.status_code, json.loads(await response.get_data(as_text=True))

    return asyncio.run(post())


def test_every_rpc_method_is_in_the_docs_and_no_other(app: daggo_core.DaggoApp) -> None:
    table = (Path(__file__).parent.parent / "docs" / "RPC.md").read_text()
    documented = set(re.findall(r"^\| `(\w+\.\w+)` \|", table, flags=re.MULTILINE))
    assert documented == set(rpc_methods(app.services))


def test_every_service_method_is_an_rpc_method(app: daggo_core.DaggoApp) -> None:
    assert set(rpc_methods(app.services)) == {
        "Jobs.Get", "Jobs.GetMany", "Jobs.Launch", "Runs.Cancel", "Runs.Count",
        "Runs.CountByStatus", "Runs.Timeline",
        "Runs.Events", "Runs.Get", "Runs.GetMany", "Runs.Reexecute", "Schedules.GetMany",
        "Schedules.SetEnabled", "Schedules.Ticks", "Queues.GetMany", "Queues.Get",
        "Queues.Push", "QueueItems.GetMany", "QueueItems.Get", "QueueItems.Retry",
        "QueueItems.Replay", "Partitions.GetMany", "Assets.GetMany", "Assets.Get",
        "Assets.GetGraph", "Assets.GetPartitions", "Assets.GetEvents", "Assets.ReportEvent",
        "Backfills.Preview", "Backfills.Launch", "Backfills.GetMany", "Backfills.Get",
        "Backfills.GetPartitions", "Backfills.Cancel", "DynamicPartitions.Add",
        "DynamicPartitions.Delete", "DynamicPartitions.GetMany", "Workers.GetMany",
        "Workers.GetPools", "Workers.Drain", "Workers.Resume", "Workers.GetDeploy",
        "Plugins.GetMany", "System.Config", "System.Health", "System.Version"}


def test_launch_then_read_the_run_back(app: daggo_core.DaggoApp) -> None:
    status, launched = call(app, "Jobs.Launch", {"job": "job", "params": {"n": 2}})
    assert status == 200, launched
    run_id = launched["run"]["id"]
    status, got = call(app, "Runs.Get", {"run_id": run_id})
    assert status == 200 and got["run"]["status"] == "QUEUED"
    status, page = call(app, "Runs.GetMany", {"job": "job", "limit": 10})
    assert status == 200 and [r["id"] for r in page["runs"]] == [run_id]
    assert call(app, "Runs.Count", {"job": "job"}) == (200, {"count": 1})
    assert call(app, "Runs.Count", {"statuses": ["QUEUED"], "triggers": ["manual"]}) == (
        200, {"count": 1})
    assert call(app, "Runs.CountByStatus", {}) == (200, {"counts": [
        {"job": "job", "status": "QUEUED", "count": 1}]})
    assert call(app, "Runs.CountByStatus", {"statuses": ["SUCCESS"]}) == (200, {"counts": []})
    status, jobs = call(app, "Jobs.GetMany")
    assert status == 200 and [j["name"] for j in jobs["jobs"]] == ["job"]


def test_methods_without_a_request_take_an_empty_body(app: daggo_core.DaggoApp) -> None:
    status, version = call(app, "System.Version", raw="")
    assert status == 200 and version["version"] == daggo_core.__version__
    status, error = call(app, "System.Version", {"verbose": True})
    assert status == 400 and "takes no fields, got verbose" in error["error"]["message"]


@pytest.mark.parametrize(("body", "message"), [
    ({"limit": "5"}, "invalid value for type, expected int @ $.limit"),
    ({"limit": 5.7}, "invalid value for type, expected int @ $.limit"),
    ({"limit": True}, "invalid value for type, expected int @ $.limit"),
    ({"limitt": 5}, "extra fields found (limitt) @ $"),
    ({"statuses": ["QUEUED", "BOGUS"]}, "expected RunStatus @ $.statuses[1]"),
    ({"triggers": [1]}, "expected RunTrigger @ $.triggers[0]"),
    ({"job": "a\udbb7"}, "not a lone surrogate escape (\\ud800-\\udfff) @ $.job"),
    ({"job": "a\x00b"}, "may not contain the NUL character (\\u0000) @ $.job"),
    ({"tags": {"k\x00": "v"}}, "NUL character (\\u0000) @ $.tags (a key)"),
    ([1, 2], "the request body must be a JSON object, got list"),
])
def test_a_bad_body_is_refused_naming_the_field(app: daggo_core.DaggoApp, body: Any,
                                                message: str) -> None:
    status, error = call(app, "Runs.GetMany", body)
    assert (status, error["error"]["code"]) == (400, "invalid_argument")
    assert message in error["error"]["message"]


def test_errors_have_stable_codes_and_statuses(app: daggo_core.DaggoApp) -> None:
    status, error = call(app, "Runs.GetMany", raw="{not json")
    assert (status, error["error"]["code"]) == (400, "malformed_json")
    status, error = call(app, "Runs.Nope")
    assert (status, error["error"]["code"]) == (404, "unknown_method")
    assert "Runs.GetMany" in error["error"]["message"]
    status, error = call(app, "Runs.Get", {"run_id": "0123abcd"})
    assert (status, error["error"]["code"]) == (404, "not_found")
    assert "0123abcd" in error["error"]["message"]
    status, error = call(app, "Jobs.Launch", {"job": "job", "params": {"n": "2"}})
    assert (status, error["error"]["code"]) == (400, "invalid_argument")
    assert "n: expected int" in error["error"]["message"]
    status, launched = call(app, "Jobs.Launch", {"job": "job"})
    queued = launched["run"]["id"]
    status, error = call(app, "Runs.Reexecute", {"run_id": queued})  # not finished
    assert (status, error["error"]["code"]) == (409, "failed_precondition")
    assert call(app, "Runs.Cancel", {"run_id": queued})[0] == 200


def test_an_unexpected_error_answers_an_id_the_log_has_and_no_traceback(
        caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise RuntimeError("secret detail")
    except RuntimeError as exc:
        error = rpc_error("Runs.Get", exc)
    assert (error.status, error.code) == (500, "internal")
    assert "secret detail" not in error.message and "Traceback" not in error.message
    error_id = re.search(r"internal error (\w+);", error.message)
    assert error_id is not None
    assert any(error_id[1] in record.getMessage() and record.exc_info
               for record in caplog.records)


def test_the_openapi_spec_is_valid_and_describes_every_method(
        app: daggo_core.DaggoApp) -> None:
    async def fetch() -> Any:
        response = await app.asgi.test_client().get("/rpc/openapi.json")
        assert response.status_code == 200
        return json.loads(await response.get_data(as_text=True))

    spec = asyncio.run(fetch())
    validate(spec)  # OpenAPI 3.1
    assert spec["info"]["version"] == daggo_core.__version__
    assert set(spec["paths"]) == {f"/rpc/{name}" for name in rpc_methods(app.services)} | {
        "/rpc/Runs.Stream", "/rpc/Runs.StatusStream"}
    stream = spec["paths"]["/rpc/Runs.Stream"]["get"]
    assert "text/event-stream" in stream["responses"]["200"]["content"]
    schemas = spec["components"]["schemas"]
    launch = spec["paths"]["/rpc/Jobs.Launch"]["post"]
    assert launch["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/JobsLaunchRequest"}
    assert set(launch["responses"]) == {"200", "400", "401", "404", "408", "409", "500", "503"}
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "admin.secret_key, when it is set"}
    assert spec["security"] == [{"bearerAuth": []}, {}]
    request = schemas["RunsGetManyRequest"]
    assert request["additionalProperties"] is False
    assert request["properties"]["limit"] == {"type": "integer", "default": 50,
                                              "minimum": 1, "maximum": 500}
    assert "requestBody" not in spec["paths"]["/rpc/System.Version"]["post"]


def test_the_reference_page_shows_every_method_with_its_fields_and_examples(
        app: daggo_core.DaggoApp) -> None:
    async def fetch() -> tuple[int, str]:
        response = await app.asgi.test_client().get("/rpc/docs/")
        return response.status_code, await response.get_data(as_text=True)

    status, page = asyncio.run(fetch())
    assert status == 200
    methods = rpc_methods(app.services)
    for name in methods:
        assert f'<section class="method" id="{name}">' in page
    # Every method shows its example request and response (none has to say "no example").
    assert page.count("<h4>Example response</h4><pre>") == len(methods)
    assert "No example given" not in page
    assert "curl -s -X POST http://localhost/rpc/Runs.Get -d &#39;{&#34;run_id&#34;: " in page
    # A field: its type, optional or required, its default and its range or values.
    assert ("<td><code>limit</code></td><td>integer</td><td>optional</td>"
            "<td><code>50</code></td><td class=\"values\">1 to 500</td>") in page
    assert ("<td><code>run_id</code></td><td>string</td><td>required</td><td></td>") in page
    assert "QUEUED, STARTING, STARTED, SUCCESS, FAILURE, CANCELED" in page
    assert "<tr><td><code>not_found</code></td><td>404</td>" in page  # error codes
    assert '<section class="message" id="message-RunSummary">' in page
    assert "No request fields: send an empty body." in page  # System.Version
    assert '<a href="/rpc/openapi.json">' in page
    assert "<script" not in page and "http" not in page.split("<body>")[0]  # nothing fetched


def test_the_api_and_its_docs_stay_when_the_pages_are_disabled(
        storage_backend: BackendUnderTest, apps: Callable[..., daggo_core.DaggoApp]) -> None:
    app = open_on(storage_backend, apps, disable_ui=True)

    async def statuses() -> list[int]:
        client = app.asgi.test_client()
        return [(await client.get("/")).status_code,
                (await client.get("/rpc/docs/")).status_code,
                (await client.post("/rpc/System.Version", data="")).status_code]

    assert asyncio.run(statuses()) == [404, 200, 200]
