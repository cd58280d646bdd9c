"""What an RPC answer's body is: the service's result as `serde.unstructure` gives it,
as compact JSON with each message's fields in their declared order; on each backend."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import attrs
import pytest

import daggo_core
from daggo_core import serde
from daggo_core.services.runs import (
    EventInfo,
    RunDetail,
    RunsEventsRequest,
    RunsGetManyRequest,
    RunsGetRequest,
    RunSummary,
)
from tests.conftest import BackendUnderTest
from tests.test_rpc import call, open_on


@pytest.fixture
def app(storage_backend: BackendUnderTest,
        apps: Callable[..., daggo_core.DaggoApp]) -> daggo_core.DaggoApp:
    return open_on(storage_backend, apps)


def test_an_answer_is_the_service_result_unstructured(app: daggo_core.DaggoApp) -> None:
    status, launched = call(app, "Jobs.Launch", {"job": "job", "params": {"n": 3},
                                                 "tags": {"team": "data"}})
    assert status == 200
    run_id = launched["run"]["id"]
    runs = app.services.runs
    for method, body, result in (
            ("Runs.Get", {"run_id": run_id}, runs.get(RunsGetRequest(run_id=run_id))),
            ("Runs.Events", {"run_id": run_id},
             runs.events(RunsEventsRequest(run_id=run_id))),
            ("Runs.GetMany", {}, runs.get_many(RunsGetManyRequest()))):
        assert call(app, method, body) == (200, serde.unstructure(result)), method


def test_an_answer_is_compact_json_in_the_fields_order(app: daggo_core.DaggoApp) -> None:
    run_id = call(app, "Jobs.Launch", {"job": "job"})[1]["run"]["id"]

    async def text(method: str, body: str) -> str:
        response = await app.asgi.test_client().post(
            f"/rpc/{method}", data=body, headers={"Content-Type": "application/json"})
        assert response.content_type == "application/json"
        return await response.get_data(as_text=True)

    detail = asyncio.run(text("Runs.Get", json.dumps({"run_id": run_id})))
    assert ": " not in detail and ", " not in detail
    parsed = json.loads(detail)
    assert list(parsed) == [f.name for f in attrs.fields(RunDetail)]
    assert list(parsed["run"]) == [f.name for f in attrs.fields(RunSummary)]
    events = json.loads(asyncio.run(text("Runs.Events", json.dumps({"run_id": run_id}))))
    assert [list(e) for e in events["events"]] == [
        [f.name for f in attrs.fields(EventInfo)]] * len(events["events"])
    assert events["events"]


def test_a_whole_id_of_no_run_is_not_found(app: daggo_core.DaggoApp) -> None:
    missing = "0123456789abcdef" * 2
    status, error = call(app, "Runs.Get", {"run_id": missing.upper()})
    assert (status, error["error"]["code"]) == (404, "not_found")
    assert missing in error["error"]["message"]
