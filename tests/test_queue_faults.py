"""Queue ingestion under faults, with real processes on each backend: several processes
pushing the same keys accept each key once; a server killed (SIGKILL) while its loader
ingests loses no item and accepts none twice (each batch is stored with its cursor)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from daggo_core.storage.base import ItemFilter, ItemPosition
from daggo_core.storage.records import QueueItemStatus
from daggo_core.testing.processes import free_port, wait_for
from tests.conftest import BackendUnderTest, serve_worker_app

KEYS = 120
PUSHERS = 4
SOURCE_LINES = 4000

_PUSHER = """
import random, sys
import daggo_core
from daggo_core.loading import load_definitions
app = daggo_core.open(daggo_core.load_config(), load_definitions(file="app.py"))
keys = list(range(int(sys.argv[1])))
random.Random(int(sys.argv[2])).shuffle(keys)
for start in range(0, len(keys), 10):
    app.push("pushed", *[{"n": n} for n in keys[start:start + 10]])
app.close()
"""


@pytest.fixture
def env(storage_backend: BackendUnderTest, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """tests/queue_app.py as app.py in a directory of its own, its processes on the
    test's database; the processes a test starts go in `.procs` (killed afterwards)."""
    (tmp_path / "app.py").write_text((Path(__file__).parent / "queue_app.py").read_text())
    port = free_port()
    values = {**storage_backend.env, "QUEUE_SOURCE": str(tmp_path / "source.txt"),
              "QUEUE_OUT": str(tmp_path / "out.txt"), "DAGGO_ADMIN_PORT": str(port),
              "DAGGO_EXECUTION_EXECUTOR": "in_process",
              "DAGGO_EXECUTION_POLL_INTERVAL_SECONDS": "0.05",
              "DAGGO_SCHEDULER_ENABLED": "false"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    namespace = SimpleNamespace(tmp=tmp_path, port=port, storage=storage_backend.open(),
                                procs=[])
    try:
        yield namespace
    finally:
        for proc in namespace.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(20)


def _accepted(env: SimpleNamespace, queue: str) -> list[int]:
    """The numbers of the accepted items of `queue` (one per item)."""
    items = []
    after = None
    while True:
        page = env.storage.list_items(ItemFilter(queue_name=queue), limit=1000, after=after)
        items += [i for i in page if i.status is not QueueItemStatus.DEDUPLICATED]
        if len(page) < 1000:
            return [item.payload["n"] for item in items]
        after = ItemPosition(page[-1].created_at, page[-1].id)


def test_processes_pushing_the_same_keys_accept_each_key_once(env: SimpleNamespace) -> None:
    pushers = [subprocess.Popen([sys.executable, "-c", _PUSHER, str(KEYS), str(seed)],
                                cwd=env.tmp, stderr=subprocess.PIPE) for seed in range(PUSHERS)]
    env.procs += pushers
    for proc in pushers:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    accepted = _accepted(env, "pushed")
    assert sorted(accepted) == list(range(KEYS))  # each key once, none lost
    counts = env.storage.count_items_by_status("pushed")["pushed"]
    assert counts[QueueItemStatus.DEDUPLICATED] == KEYS * (PUSHERS - 1)
    runs = [r for i in env.storage.list_items(ItemFilter(queue_name="pushed"), limit=1000)
            for r in env.storage.list_item_runs(i.id)]
    assert len(runs) == KEYS  # a deduplicated delivery started nothing


def test_a_server_killed_while_its_loader_ingests_loses_and_repeats_nothing(
        env: SimpleNamespace) -> None:
    (env.tmp / "source.txt").write_text("\n".join(map(str, range(SOURCE_LINES))))
    for kill_after in (1, SOURCE_LINES // 3):
        server = serve_worker_app(env)
        wait_for(lambda n=kill_after: env.storage.get_loader_state("stream").loaded >= n,
                 60, f"{kill_after} items loaded")
        os.kill(server.pid, signal.SIGKILL)
        server.wait(20)
    state = env.storage.get_loader_state("stream")
    assert 0 < state.loaded < SOURCE_LINES, "the server was not killed mid-ingestion"
    serve_worker_app(env)
    wait_for(lambda: env.storage.get_loader_state("stream").cursor == str(SOURCE_LINES), 120,
             "every line loaded")
    accepted = _accepted(env, "stream")
    assert Counter(accepted) == Counter(range(SOURCE_LINES))
    assert env.storage.get_loader_state("stream").loaded == SOURCE_LINES
    out = env.tmp / "out.txt"
    ran = Counter(tuple(line.split()[:2]) for line in
                  (out.read_text().splitlines() if out.exists() else []))
    assert ran and all(count == 1 for count in ran.values())  # no item ran twice
