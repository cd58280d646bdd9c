"""The queue methods over a served app (tests/served_queue_app.py), on each backend:
`Queues.*`, `QueueItems.*` and `Partitions.GetMany` called over HTTP while the app's
runtime executes the items' runs (in_process executor), and through
`daggo_core.client.RemoteServices`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from daggo_core.app import DaggoApp
from daggo_core.client import RemoteServices
from daggo_core.config import default_config
from daggo_core.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from daggo_core.services.queues import (
    QueueItemsGetManyRequest,
    QueueItemsGetRequest,
    QueueItemsRetryRequest,
    QueuesGetRequest,
    QueuesPushRequest,
)
from daggo_core.storage.records import QueueItemStatus
from daggo_core.testing.processes import free_port, wait_for
from daggo_core.testing.serving import app_served
from tests.conftest import BackendUnderTest
from tests.served_queue_app import FAILING, defs

FINISHED = {"SUCCEEDED", "FAILED", "PARTIALLY_FAILED", "CANCELED", "DEDUPLICATED"}


class Served:
    """The app served on a loopback port, and an HTTP client of it."""

    def __init__(self, app: DaggoApp, http: httpx.Client) -> None:
        self.app = app
        self.http = http

    def call(self, method: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        response = self.http.post(f"/rpc/{method}", json=body or {})
        return response.status_code, response.json()

    def ok(self, method: str, body: dict[str, Any] | None = None) -> Any:
        status, answer = self.call(method, body)
        assert status == 200, (method, answer)
        return answer

    def push(self, *items: dict[str, Any], key: str | None = None) -> Any:
        body: dict[str, Any] = {"queue": "imports", "items": list(items)}
        if key is not None:
            body["key"] = key
        return self.ok("Queues.Push", body)

    def item(self, item_id: str) -> Any:
        return self.ok("QueueItems.Get", {"item_id": item_id})

    def settled(self, *item_ids: str) -> list[Any]:
        """The items, once each one has finished."""
        def finished() -> list[Any] | None:
            details = [self.item(i) for i in item_ids]
            return details if all(d["item"]["status"] in FINISHED for d in details) else None

        return wait_for(finished, 30, "the items to finish")


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    FAILING.clear()
    yield
    FAILING.clear()


@pytest.fixture
def server(storage_backend: BackendUnderTest,
           apps: Callable[..., DaggoApp]) -> Iterator[Served]:
    config = default_config()
    config.database = storage_backend.database
    config.scheduler.enabled = False
    config.execution.executor = "in_process"
    config.execution.poll_interval_seconds = 0.05
    config.admin.port = free_port()
    app = apps(config, defs)
    with app_served(app, name="queues-rpc-test"), \
            httpx.Client(base_url=app.url, timeout=20) as http:
        served = Served(app, http)
        wait_for(lambda: _healthy(http), 20, "the server to answer")
        yield served


def _healthy(http: httpx.Client) -> bool:
    try:
        return http.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


def test_push_accepts_deduplicates_and_rejects_items(server: Served) -> None:
    first = server.push({"customer": "acme", "batch": 1})
    assert len(first["accepted"]) == 1 and first["deduplicated"] == first["rejected"] == []
    (accepted,) = first["accepted"]
    mixed = server.push({"customer": "acme", "batch": 1}, {"customer": "zen", "batch": 2},
                        {"customer": "zen", "batch": "3"})
    assert len(mixed["accepted"]) == 1
    (duplicate,) = mixed["deduplicated"]
    assert duplicate["duplicate_of"] == accepted and duplicate["status"] == "DEDUPLICATED"
    assert duplicate["item_key"] == "acme/1" and duplicate["partition_key"] == "acme"
    (rejected,) = mixed["rejected"]
    assert rejected.startswith("item 2: ") and "batch: expected int, got str '3'" in rejected
    keyed = server.push({"customer": "acme", "batch": 1}, key="replay-of-acme-1")
    assert len(keyed["accepted"]) == 1  # an explicit key overrides the queue's
    assert server.item(keyed["accepted"][0])["item"]["item_key"] == "replay-of-acme-1"


def test_bad_pushes_are_answered_400_naming_the_field(server: Served) -> None:
    status, answer = server.call("Queues.Push", {"queue": "imports",
                                                 "items": [{"customer": "acme", "batch": "x"}]})
    assert status == 400 and answer["error"]["code"] == "invalid_argument"
    assert "payload of queue 'imports': batch: expected int, got str 'x'" in \
        answer["error"]["message"]
    status, answer = server.call("Queues.Push", {"queue": "imports", "items": [{"batch": 1}]})
    assert status == 400 and "customer" in answer["error"]["message"]
    # A body that is not the request: a single object where a list belongs, a key for two.
    status, answer = server.call("Queues.Push", {"queue": "imports",
                                                 "items": {"customer": "acme", "batch": 1}})
    assert (status, answer["error"]["code"]) == (400, "invalid_argument")
    assert "$.items" in answer["error"]["message"]
    status, answer = server.call("Queues.Push", {"queue": "imports", "key": "k", "items": [
        {"customer": "acme", "batch": 1}, {"customer": "acme", "batch": 2}]})
    assert status == 400 and answer["error"]["message"].startswith("key: ")
    status, answer = server.call("Queues.Push", {"queue": "imports", "items": []})
    assert status == 400 and answer["error"]["message"].startswith("items: ")
    status, answer = server.call("Queues.Push", {"queue": "exports",
                                                 "items": [{"customer": "acme", "batch": 1}]})
    assert (status, answer["error"]["code"]) == (404, "not_found")
    assert "exports" in answer["error"]["message"]
    # The bad payloads are kept as the queue's errors, newest first.
    errors = server.ok("Queues.Get", {"queue": "imports"})["queue"]["errors"]
    assert [e["source"] for e in errors] == ["api", "api"]
    assert "customer" in errors[0]["message"] and '"batch": "x"' in errors[1]["detail"]


def test_queues_are_listed_with_their_counts_and_shown_with_their_policies(
        server: Served) -> None:
    FAILING.add("zen")
    pushed = server.push({"customer": "acme", "batch": 1}, {"customer": "zen", "batch": 1})
    server.push({"customer": "acme", "batch": 1})
    server.settled(*pushed["accepted"])
    summary, pings = server.ok("Queues.GetMany")["queues"]
    assert summary["name"] == "imports" and summary["active"] is True
    assert summary["jobs"] == ["import", "audit"] and summary["payload_type"] == "Envelope"
    assert summary["counts"] == {"SUCCEEDED": 1, "PARTIALLY_FAILED": 1, "DEDUPLICATED": 1}
    assert summary["dead_lettered"] == 1 and summary["loader"] is None
    assert pings["name"] == "pings" and pings["counts"] == {} and pings["dead_lettered"] == 0
    assert pings["loader"]["mode"] == "poll" and pings["loader"]["poll_every_seconds"] == 0.2
    assert pings["loader"]["healthy"] is True and pings["loader"]["failures"] == 0
    detail = server.ok("Queues.Get", {"queue": "imports"})["queue"]
    assert detail["queue"] == summary
    assert detail["has_partition_key"] is True and detail["has_item_key"] is True
    assert detail["retries"] == 0 and detail["payload_fields"] == ["customer", "batch"]
    status, answer = server.call("Queues.Get", {"queue": "exports"})
    assert (status, answer["error"]["code"]) == (404, "not_found")
    assert "queues: imports, pings" in answer["error"]["message"]


def test_items_are_listed_by_filters_and_paged_by_cursor(server: Served) -> None:
    FAILING.add("zen")
    ids = [server.push({"customer": customer, "batch": batch})["accepted"][0]
           for customer, batch in (("acme", 1), ("zen", 1), ("acme", 2), ("acme", 3))]
    server.settled(*ids)
    duplicate = server.push({"customer": "acme", "batch": 2})["deduplicated"][0]["id"]

    def listed(**body: Any) -> list[str]:
        return [i["id"] for i in server.ok("QueueItems.GetMany", body)["items"]]

    newest_first = [duplicate, *reversed(ids)]
    assert listed() == listed(queue="imports") == newest_first
    assert listed(partition_key="acme") == [duplicate, ids[3], ids[2], ids[0]]
    assert listed(statuses=["PARTIALLY_FAILED"]) == listed(dead_lettered=True) == [ids[1]]
    assert listed(statuses=["SUCCEEDED", "DEDUPLICATED"], partition_key="acme") == [
        duplicate, ids[3], ids[2], ids[0]]
    created = server.item(ids[2])["item"]["created_at"]
    assert listed(created_before=created) == [ids[1], ids[0]]
    assert listed(created_after=created, statuses=["SUCCEEDED"]) == [ids[3], ids[2]]
    seen: list[str] = []
    body: dict[str, Any] = {"limit": 2}
    while True:
        page = server.ok("QueueItems.GetMany", body)
        assert len(page["items"]) <= 2
        seen += [i["id"] for i in page["items"]]
        if page["next_cursor"] is None:
            break
        body["cursor"] = page["next_cursor"]
    assert seen == newest_first
    status, answer = server.call("QueueItems.GetMany", {"statuses": ["DONE"]})
    assert status == 400 and "$.statuses[0]" in answer["error"]["message"]
    status, answer = server.call("QueueItems.GetMany", {"limit": 501})
    assert status == 400 and "limit" in answer["error"]["message"]


def test_an_item_shows_its_payload_metadata_runs_and_duplicates(server: Served) -> None:
    (item_id,) = server.push({"customer": "acme", "batch": 4})["accepted"]
    server.settled(item_id)
    duplicate = server.push({"customer": "acme", "batch": 4})["deduplicated"][0]["id"]
    detail = server.item(item_id[:8])
    assert detail["item"]["id"] == item_id and detail["item"]["status"] == "SUCCEEDED"
    assert detail["item"]["source"] == "api" and detail["item"]["attempt"] == 1
    assert detail["payload"] == {"customer": "acme", "batch": 4}
    assert detail["metadata"] == {"rows": 40}
    runs = detail["runs"]
    assert sorted(r["job_name"] for r in runs) == ["audit", "import"]
    assert {(r["status"], r["trigger"], r["queue_item_id"], r["partition_key"])
            for r in runs} == {("SUCCESS", "queue", item_id, "acme")}
    assert [d["id"] for d in detail["duplicates"]] == [duplicate]
    assert detail["duplicate_count"] == 1 and detail["original"] is None
    # A run says which item it executes, in Runs.Get and in lists.
    run = server.ok("Runs.Get", {"run_id": runs[0]["id"]})["run"]
    assert (run["queue_item_id"], run["partition_key"]) == (item_id, "acme")
    again = server.item(duplicate)
    assert again["runs"] == [] and again["original"]["id"] == item_id
    status, answer = server.call("QueueItems.Get", {"item_id": "0" * 32})
    assert (status, answer["error"]["code"]) == (404, "not_found")
    status, answer = server.call("QueueItems.Get", {"item_id": "zz"})
    assert status == 404 and "'zz'" in answer["error"]["message"]


def test_failed_items_are_retried_and_replayed(server: Served) -> None:
    FAILING.add("zen")
    first, second, good = (server.push({"customer": customer, "batch": batch})["accepted"][0]
                           for customer, batch in (("zen", 1), ("zen", 2), ("acme", 1)))
    failed, _, _ = server.settled(first, second, good)
    assert failed["item"]["status"] == "PARTIALLY_FAILED" and failed["item"]["dead_lettered"]
    import_run = next(r for r in failed["runs"] if r["job_name"] == "import")
    FAILING.clear()
    retried = server.ok("QueueItems.Retry", {"item_id": first[:10]})
    assert retried["item"]["id"] == first and not retried["item"]["dead_lettered"]
    assert retried["item"]["attempt"] == 2
    # Only the failed job runs again, as a re-execution of its run, linked to the item.
    assert [(r["job_name"], r["parent_run_id"], r["queue_item_id"], r["trigger"])
            for r in retried["runs"]] == [("import", import_run["id"], first, "reexecution")]
    (done, _) = server.settled(first, second)
    assert done["item"]["status"] == "SUCCEEDED" and len(done["runs"]) == 3
    rerun = next(r for r in done["runs"] if r["parent_run_id"] == import_run["id"])
    assert rerun["status"] == "SUCCESS" and rerun["partition_key"] == "zen"
    status, answer = server.call("QueueItems.Retry", {"item_id": first})
    assert (status, answer["error"]["code"]) == (409, "failed_precondition")
    assert "SUCCEEDED" in answer["error"]["message"]
    replayed = server.ok("QueueItems.Replay", {"queue": "imports", "dead_lettered": True})
    assert replayed == {"replayed": [second], "skipped": 0}
    (done,) = server.settled(second)
    assert done["item"]["status"] == "SUCCEEDED" and not done["item"]["dead_lettered"]
    assert server.ok("QueueItems.Replay", {"queue": "imports"}) == {"replayed": [],
                                                                     "skipped": 0}
    status, answer = server.call("QueueItems.Replay", {"queue": "imports",
                                                       "statuses": ["SUCCEEDED"]})
    assert status == 400 and answer["error"]["message"].startswith("statuses: ")
    status, answer = server.call("QueueItems.Replay", {"queue": "exports"})
    assert (status, answer["error"]["code"]) == (404, "not_found")


def test_partitions_are_listed_in_order_with_their_latest_item(server: Served) -> None:
    FAILING.add("globex")
    pushed = [server.push({"customer": customer, "batch": batch})["accepted"][0]
              for customer, batch in (("zen", 1), ("acme", 1), ("globex", 1), ("acme", 2))]
    server.settled(*pushed)
    page = server.ok("Partitions.GetMany", {"queue": "imports", "limit": 2})
    assert [p["partition_key"] for p in page["partitions"]] == ["acme", "globex"]
    acme, globex = page["partitions"]
    assert acme["items"] == 2 and acme["counts"] == {"SUCCEEDED": 2}
    assert acme["latest_item_id"] == pushed[3] and acme["latest_status"] == "SUCCEEDED"
    assert globex["counts"] == {"PARTIALLY_FAILED": 1}
    rest = server.ok("Partitions.GetMany", {"queue": "imports", "cursor": page["next_cursor"]})
    assert [p["partition_key"] for p in rest["partitions"]] == ["zen"]
    assert rest["next_cursor"] is None
    status, answer = server.call("Partitions.GetMany", {"queue": "exports"})
    assert (status, answer["error"]["code"]) == (404, "not_found")
    status, answer = server.call("Partitions.GetMany", {"queue": "imports",
                                                        "cursor": page["next_cursor"][:-2]})
    assert status == 400 and "cursor" in answer["error"]["message"]


def test_the_python_client_calls_the_queue_methods(server: Served) -> None:
    with RemoteServices(server.app.url) as remote:
        pushed = remote.queues.push(QueuesPushRequest(
            queue="imports", items=({"customer": "acme", "batch": 7},)))
        (item_id,) = pushed.accepted
        with pytest.raises(InvalidArgumentError, match="batch: expected int"):
            remote.queues.push(QueuesPushRequest(queue="imports",
                                                 items=({"customer": "acme", "batch": "7"},)))
        with pytest.raises(NotFoundError, match="exports"):
            remote.queues.get(QueuesGetRequest(queue="exports"))
        server.settled(item_id)
        detail = remote.queue_items.get(QueueItemsGetRequest(item_id=item_id))
        assert detail.item.status is QueueItemStatus.SUCCEEDED
        assert detail.payload == {"customer": "acme", "batch": 7}
        assert {r.queue_item_id for r in detail.runs} == {item_id}
        summary, _ = remote.queues.get_many().queues
        assert summary.counts == {QueueItemStatus.SUCCEEDED: 1}
        page = remote.queue_items.get_many(QueueItemsGetManyRequest(partition_key="acme"))
        assert [i.id for i in page.items] == [item_id]
        with pytest.raises(FailedPreconditionError, match="SUCCEEDED"):
            remote.queue_items.retry(QueueItemsRetryRequest(item_id=item_id))
