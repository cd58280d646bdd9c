"""`daggo queue ...` on each backend, over the database (local) and against a served app
(`--url`), while the served app's runtime executes the items' runs: pushing from an
argument or stdin, refusals naming the field, lists and details that read the same both
ways, retries and replays."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from daggo_core.app import DaggoApp
from daggo_core.cli.main import cli
from daggo_core.config import default_config
from daggo_core.services.queues import QueueItemsGetRequest, QueuesGetRequest
from daggo_core.storage.records import QueueItemStatus
from daggo_core.testing.processes import free_port, wait_for
from daggo_core.testing.serving import app_served
from tests import served_queue_app
from tests.conftest import BackendUnderTest

APP = str(Path(served_queue_app.__file__))
FINISHED = {QueueItemStatus.SUCCEEDED, QueueItemStatus.FAILED,
            QueueItemStatus.PARTIALLY_FAILED, QueueItemStatus.CANCELED}


class Env:
    """The served app, and the CLI over its database or against it."""

    def __init__(self, app: DaggoApp, backend: BackendUnderTest) -> None:
        self.app = app
        self.local_env: dict[str, str | None] = {"DAGGO_DATABASE_DRIVER": None,
                                                 **backend.env, "DAGGO_URL": None}

    def local(self, *args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["queue", *args], env=self.local_env, input=stdin)

    def remote(self, *args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["queue", *args], env={"DAGGO_URL": self.app.url},
                                  input=stdin)

    def same(self, *args: str) -> Result:
        """Run `args` locally and remotely; assert both print and exit the same."""
        local, remote = self.local(*args), self.remote(*args)
        assert remote.output == local.output, (args, local.output, remote.output)
        assert remote.exit_code == local.exit_code, (args, remote.output)
        return remote

    def settled(self, *item_ids: str) -> None:
        def finished() -> bool:
            return all(self.app.services.queue_items.get(QueueItemsGetRequest(item_id=i))
                       .item.status in FINISHED for i in item_ids)

        wait_for(finished, 30, "the items to finish")


def accepted(result: Result) -> list[str]:
    """The ids of the items `queue push` printed as accepted."""
    assert result.exit_code in (0, 1), result.output
    return re.findall(r"item ([0-9a-f]{32}) accepted", result.output)


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    served_queue_app.FAILING.clear()
    yield
    served_queue_app.FAILING.clear()


@pytest.fixture
def env(storage_backend: BackendUnderTest, apps: Callable[..., DaggoApp]) -> Iterator[Env]:
    config = default_config()
    config.database = storage_backend.database
    config.scheduler.enabled = False
    config.execution.executor = "in_process"
    config.execution.poll_interval_seconds = 0.05
    config.admin.port = free_port()
    app = apps(config, served_queue_app.defs)
    with app_served(app, name="queue-cli-test"):
        yield Env(app, storage_backend)


def test_push_takes_an_object_a_list_or_stdin_locally_and_remotely(env: Env) -> None:
    local = env.local("push", "imports", '{"customer": "acme", "batch": 1}', "-f", APP)
    assert local.exit_code == 0, local.output
    (first,) = accepted(local)
    assert local.output == f"item {first} accepted by queue imports\n"
    remote = env.remote("push", "imports",
                        '[{"customer": "acme", "batch": 1}, {"customer": "zen", "batch": 1}]')
    assert remote.exit_code == 0, remote.output
    assert len(accepted(remote)) == 1
    assert re.search(rf"item [0-9a-f]{{32}} deduplicated: key 'acme/1' was accepted as item "
                     rf"{first}", remote.output)
    piped = env.remote("push", "imports", "-", stdin='{"customer": "globex", "batch": 5}\n')
    assert len(accepted(piped)) == 1 and piped.exit_code == 0
    keyed = env.local("push", "imports", '{"customer": "acme", "batch": 1}', "--key",
                      "acme/1-again", "-f", APP)
    (again,) = accepted(keyed)
    env.settled(first, again, *accepted(remote), *accepted(piped))
    item = env.remote("item", again)
    assert "key: acme/1-again" in item.output and "source: api" in item.output


def test_bad_json_and_bad_payloads_exit_non_zero_naming_the_field(env: Env) -> None:
    for broken in (env.local("push", "imports", '{"customer": ', "-f", APP),
                   env.remote("push", "imports", '{"customer": ')):
        assert broken.exit_code == 2
        assert "Invalid value for JSON: not valid JSON" in broken.output
    for wrong in ("5", "[]", '[{"customer": "acme", "batch": 1}, 7]'):
        result = env.remote("push", "imports", wrong)
        assert result.exit_code == 2, (wrong, result.output)
        assert "must be a JSON object or a non-empty list of objects" in result.output
    assert "(item 1 is not)" in env.remote("push", "imports", "[{}, 7]").output
    bad = '{"customer": "acme", "batch": "x"}'
    local = env.local("push", "imports", bad, "-f", APP)
    remote = env.remote("push", "imports", bad)
    assert local.output == remote.output and local.exit_code == remote.exit_code == 1
    assert "Error: payload of queue 'imports': batch: expected int, got str 'x'" in \
        remote.output
    mixed = env.remote("push", "imports", '[{"customer": "acme", "batch": 2}, {"batch": 3}]')
    assert mixed.exit_code == 1 and len(accepted(mixed)) == 1
    assert "rejected: item 1: payload of queue 'imports': customer:" in mixed.output
    no_code = env.local("push", "imports", '{"customer": "acme", "batch": 4}')
    assert no_code.exit_code == 1
    assert "pushing items needs the app's code" in no_code.output
    assert "-m/-f" in no_code.output
    unknown = env.remote("push", "exports", '{"customer": "acme", "batch": 4}')
    assert unknown.exit_code == 1 and "no queue named 'exports'" in unknown.output
    both = env.remote("push", "imports", '{"customer": "acme", "batch": 4}', "-f", APP)
    assert both.exit_code == 2 and "cannot be used with --url" in both.output


def test_lists_and_details_read_the_same_locally_and_remotely(env: Env) -> None:
    served_queue_app.FAILING.add("zen")
    ids = accepted(env.remote("push", "imports", '[{"customer": "acme", "batch": 1}, '
                              '{"customer": "zen", "batch": 1}, {"customer": "acme", '
                              '"batch": 2}]'))
    env.settled(*ids)
    duplicate = env.remote("push", "imports", '{"customer": "acme", "batch": 1}')
    assert "deduplicated" in duplicate.output

    def polled() -> bool:  # once it has, `queue list` shows the same from then on
        loader = env.app.services.queues.get(QueuesGetRequest(queue="pings")).queue.queue.loader
        return loader is not None and loader.lag == 0

    wait_for(polled, 20, "the loader of pings to poll")
    listed = env.same("list")
    assert re.search(r"imports\s+│\s+import, audit\s+│\s+│\s+│\s+2\s+│\s+1\s+│\s+│\s+1\s",
                     listed.output), listed.output
    assert re.search(r"pings\s+│\s+audit\s+│.*│ poll every 0.2 s: ok,\s+(│\s+)*lag 0 ",
                     listed.output, flags=re.DOTALL), listed.output
    everything = env.same("items", "imports")
    assert everything.output.count("acme/1") == 2 and "zen/1" in everything.output
    assert "4 item(s), newest first" in everything.output
    assert f"duplicate of {ids[0][:12]}" in everything.output
    assert max(map(len, everything.output.splitlines())) <= 120
    failed = env.same("items", "imports", "--status", "partially_failed")
    assert ids[1][:12] in failed.output and "dead-lettered" in failed.output
    assert "1 item(s)" in failed.output
    assert env.same("items", "imports", "--dead-lettered").output == failed.output
    acme = env.same("items", "imports", "--partition", "acme", "--status", "SUCCEEDED")
    assert [ids[2][:12], ids[0][:12]] == re.findall(r"^│ ([0-9a-f]{12}) ", acme.output,
                                                    flags=re.MULTILINE)
    newest = env.same("items", "imports", "--limit", "1")
    assert "1 item(s)" in newest.output and "duplicate of" in newest.output
    missing = env.same("items", "exports")
    assert missing.exit_code == 1 and "no queue named 'exports' (queues: imports, pings)" in \
        missing.output
    shown = env.same("item", ids[1][:8])
    lines = shown.output
    assert f"item {ids[1]} of queue imports: PARTIALLY_FAILED" in lines
    assert "key: zen/1" in lines and "partition: zen" in lines
    assert "dead-lettered: no retries left" in lines
    assert 'payload: {"customer": "zen", "batch": 1}' in lines
    assert re.search(r"import\s+│\s+FAILURE\s+│\s+queue", lines), lines
    assert "StepFailure: steps failed:" in lines  # the error of its failed run
    original = env.same("item", ids[0])
    assert 'metadata: {"rows": 10}' in original.output
    assert "1 delivery(ies) deduplicated against it:" in original.output
    dup_id = re.findall(r"deduplicated against it: ([0-9a-f]{32})", original.output)[0]
    assert f"deduplicated against item {ids[0]}" in env.same("item", dup_id).output
    unknown = env.same("item", "ffff")
    assert unknown.exit_code == 1 and "no queue item with id 'ffff'" in unknown.output
    partitions = env.same("partitions", "imports")
    assert "2 partition(s)" in partitions.output
    assert re.search(rf"acme\s+│\s+2\s+│.*{ids[2]}", partitions.output), partitions.output
    assert re.search(rf"zen\s+│\s+1\s+│.*{ids[1]}", partitions.output), partitions.output


def test_retry_and_replay_run_the_failed_jobs_again(env: Env) -> None:
    served_queue_app.FAILING.add("zen")
    first, second = accepted(env.remote("push", "imports", '[{"customer": "zen", "batch": 1},'
                                        ' {"customer": "zen", "batch": 2}]'))
    env.settled(first, second)
    served_queue_app.FAILING.clear()
    retried = env.remote("retry", first[:8])
    assert retried.exit_code == 0, retried.output
    assert f"item {first} retried (attempt 2)" in retried.output
    assert re.search(r"run [0-9a-f]{32} of import queued: re-execution of [0-9a-f]{32}",
                     retried.output), retried.output
    env.settled(first)
    again = env.same("retry", first)
    assert again.exit_code == 1 and "SUCCEEDED" in again.output
    since = env.app.services.queue_items.get(
        QueueItemsGetRequest(item_id=second)).item.created_at.isoformat()
    none = env.local("replay", "imports", "--since", "2090-01-01", "-f", APP)
    assert none.exit_code == 0 and none.output == "0 item(s) replayed\n"
    replayed = env.local("replay", "imports", "--dead-lettered", "--since", since,
                         "--partition", "zen", "-f", APP)
    assert replayed.exit_code == 0, replayed.output
    assert replayed.output == f"item {second} replayed\n1 item(s) replayed\n"
    env.settled(second)
    assert "SUCCEEDED" in env.remote("item", second).output
    wrong = env.remote("replay", "imports", "--status", "SUCCEEDED")
    assert wrong.exit_code == 2 and "--status" in wrong.output
    bad_time = env.remote("replay", "imports", "--until", "yesterday")
    assert bad_time.exit_code == 2 and "is not an ISO date or time" in bad_time.output
