"""A queue's routes over real HTTP: a payload (or a list) posted is accepted, deduplicated
on its Idempotency-Key, or refused with 400 naming the field; a route with a handler
delivers what it pushes; routes take the API's bearer token and no CSRF token."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import daggo_core
from daggo_core import Queue, QueueRequest
from daggo_core.app import DaggoApp
from daggo_core.config import Config, default_config
from daggo_core.testing.processes import free_port
from daggo_core.testing.serving import app_served
from tests.conftest import BackendUnderTest
from tests.test_queues import AUDIT, IMPORT, Envelope

SECRET = "route-secret-of-the-tests"


def _webhook(request: QueueRequest) -> object:
    """A provider's webhook: the payload sits under "data", its id is the item key."""
    body = request.json()
    pushed = request.push([body["data"]], key=body["id"])
    return {"received": body["id"], "accepted": len(pushed.accepted)}


async def _async_webhook(request: QueueRequest) -> object:
    """The same webhook as a coroutine: it awaits its push, leaving the loop free."""
    body = request.json()
    pushed = await request.push_async([body["data"]], key=body["id"])
    return {"received": body["id"], "accepted": len(pushed.accepted)}


QUEUE = (Queue[Envelope]("imports").route("/ingest/imports")
         .route("/hooks/provider", _webhook).route("/hooks/async", _async_webhook)
         .jobs(IMPORT, AUDIT).build())


@pytest.fixture
def site(storage_backend: BackendUnderTest,
         apps: Callable[..., DaggoApp]) -> Iterator[tuple[str, DaggoApp]]:
    config: Config = default_config()
    config.database = storage_backend.database
    config.execution.executor = "in_process"
    config.admin.port = free_port()
    config.admin.secret_key = SECRET
    app = apps(config, daggo_core.Definitions(jobs=[IMPORT, AUDIT], queues=[QUEUE]))
    with app_served(app, name="route-test-server"):
        yield f"http://127.0.0.1:{config.admin.port}", app


def post(url: str, body: bytes, *, token: str | None = SECRET,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", **(headers or {}),
        **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_posted_payload_is_accepted_and_deduplicated_on_its_idempotency_key(
        site: tuple[str, DaggoApp]) -> None:
    url, _ = site
    payload = json.dumps({"customer": "acme", "batch": 1}).encode()
    status, first = post(f"{url}/ingest/imports", payload, headers={"Idempotency-Key": "k1"})
    assert status == 202 and len(first["accepted"]) == 1 and first["rejected"] == []
    status, again = post(f"{url}/ingest/imports", payload, headers={"Idempotency-Key": "k1"})
    assert status == 202 and again["accepted"] == []
    assert [d["duplicate_of"] for d in again["deduplicated"]] == first["accepted"]
    status, many = post(f"{url}/ingest/imports", json.dumps(
        [{"customer": "zen", "batch": 1}, {"customer": "zen", "batch": 2}]).encode())
    assert status == 202 and len(many["accepted"]) == 2


def test_a_bad_body_is_refused_with_400_naming_what_is_wrong(
        site: tuple[str, DaggoApp]) -> None:
    url, _ = site
    status, answer = post(f"{url}/ingest/imports", b'{"customer": "acme", "batch": "one"}')
    assert status == 400 and answer["error"]["code"] == "invalid_argument"
    assert "batch: expected int" in answer["error"]["message"]
    status, answer = post(f"{url}/ingest/imports", b"{not json")
    assert status == 400 and "the body is not JSON" in answer["error"]["message"]
    status, answer = post(f"{url}/ingest/imports", b'[{"customer": "a", "batch": 1}, {}]')
    assert status == 202 and len(answer["accepted"]) == 1
    assert "item 1" in answer["rejected"][0] and "batch" in answer["rejected"][0]


def test_a_route_with_a_handler_delivers_what_it_pushes(site: tuple[str, DaggoApp]) -> None:
    url, _ = site
    body = json.dumps({"id": "evt-9", "data": {"customer": "acme", "batch": 9}}).encode()
    assert post(f"{url}/hooks/provider", body) == (200, {"received": "evt-9", "accepted": 1})
    assert post(f"{url}/hooks/provider", body) == (200, {"received": "evt-9", "accepted": 0})
    status, answer = post(f"{url}/hooks/provider", b'{"id": "evt-10", "data": {}}')
    assert status == 400 and "customer" in answer["error"]["message"]
    body = json.dumps({"id": "evt-11", "data": {"customer": "acme", "batch": 11}}).encode()
    assert post(f"{url}/hooks/async", body) == (200, {"received": "evt-11", "accepted": 1})
    assert post(f"{url}/hooks/async", body) == (200, {"received": "evt-11", "accepted": 0})


def test_a_route_needs_the_apis_credentials(site: tuple[str, DaggoApp]) -> None:
    url, _ = site
    status, answer = post(f"{url}/ingest/imports", b'{"customer": "a", "batch": 1}',
                          token=None)
    assert status == 401 and answer["error"]["code"] == "unauthenticated"
