"""`daggo backfill ...`, `daggo asset list` and `daggo job launch --partition` against a
served app (`--url`) and over its database, on each backend."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import attrs
import pytest
from click.testing import CliRunner, Result

from daggo_core import Context, DailyPartitions, Definitions, NoInput, asset
from daggo_core.app import DaggoApp
from daggo_core.cli.main import cli
from daggo_core.config import default_config
from daggo_core.storage.asset_records import BackfillStatus
from daggo_core.testing.processes import free_port, wait_for
from daggo_core.testing.serving import app_served
from tests.conftest import BackendUnderTest


@attrs.frozen
class Day:
    key: str


@asset(partitions=DailyPartitions("2024-05-01", end="2024-05-11"), group="daily")
def days(ctx: Context, inp: NoInput) -> Day:
    return Day(key=ctx.partition_key or "")


DEFS = Definitions(assets=[days])


class Env:
    def __init__(self, app: DaggoApp, backend: BackendUnderTest) -> None:
        self.app = app
        self.local_env: dict[str, str | None] = {"DAGGO_DATABASE_DRIVER": None,
                                                 **backend.env, "DAGGO_URL": None}

    def local(self, *args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=self.local_env)

    def remote(self, *args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), env={"DAGGO_URL": self.app.url},
                                  input=stdin)


@pytest.fixture
def env(storage_backend: BackendUnderTest, apps: Callable[..., DaggoApp]) -> Iterator[Env]:
    config = default_config()
    config.database = storage_backend.database
    config.scheduler.enabled = False
    config.scheduler.backfill_interval_seconds = 0.05
    config.execution.executor = "in_process"
    config.execution.poll_interval_seconds = 0.05
    config.admin.port = free_port()
    app = apps(config, DEFS)
    with app_served(app, name="backfill-cli-test"):
        yield Env(app, storage_backend)


def test_a_backfill_is_previewed_launched_followed_and_listed(env: Env) -> None:
    launched = env.remote("job", "launch", "days", "--partition", "2024-05-02", "--wait")
    assert launched.exit_code == 0, launched.output
    preview = env.local("backfill", "preview", "--asset", "days", "--missing")
    assert preview.exit_code == 0, preview.output
    assert preview.output.startswith(
        "asset days (job days): 9 partitions in 9 runs (up to 1 per run), 1 skipped "
        "(materialized or in progress)\n  2024-05-01\n  2024-05-03\n")
    started = env.remote("backfill", "launch", "--asset", "days", "--missing", "--yes")
    assert started.exit_code == 0, started.output
    (backfill_id,) = re.findall(r"backfill ([0-9a-f]{32}) launched", started.output)
    storage = env.app.services.context.storage
    wait_for(lambda: storage.get_backfill(backfill_id).status is BackfillStatus.COMPLETED,
             60, "the backfill to complete")
    status = env.remote("backfill", "status", backfill_id)
    assert "COMPLETED" in status.output and "9/9 runs done, 0 not created yet" in status.output
    listed = env.local("backfill", "list")
    assert backfill_id[:12] in listed.output and "COMPLETED" in listed.output
    assets = env.remote("asset", "list")
    assert "days" in assets.output and "10 materialized" in assets.output


def test_bad_backfills_and_launches_exit_non_zero_saying_why(env: Env) -> None:
    unknown = env.remote("backfill", "preview", "--job", "days", "--key", "2024-06-01")
    assert unknown.exit_code == 1 and "'2024-06-01'" in unknown.output
    no_key = env.remote("job", "launch", "days")
    assert no_key.exit_code == 1 and "is partitioned" in no_key.output
    finished = env.local("backfill", "launch", "--job", "days", "--key", "2024-05-01",
                         "--yes")
    (backfill_id,) = re.findall(r"backfill ([0-9a-f]{32}) launched", finished.output)
    storage = env.app.services.context.storage
    wait_for(lambda: storage.get_backfill(backfill_id).status is BackfillStatus.COMPLETED,
             60, "the backfill to complete")
    refused = env.remote("backfill", "cancel", backfill_id)
    assert refused.exit_code == 1 and "is COMPLETED" in refused.output
