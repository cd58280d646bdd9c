"""Lost connections: terminated backends are replaced and runs finish with every event once."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import psycopg
import pytest
from attrs import frozen
from sqlalchemy import Connection, event

from daggo_core import Context, NoInput, dag, execute
from daggo_core.storage.records import Event, EventKind, Run, RunStatus
from daggo_core.storage.schema import runs
from daggo_core.storage.sql import SqlStorage
from daggo_core.storage.sql_rows import run_values
from daggo_postgres.config import PostgresConfig
from daggo_postgres.startup import open_postgres

LINES = 40


@pytest.fixture
def app_name() -> str:
    return f"daggo_kill_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def storage(pg_url: str, schema: str, app_name: str) -> Iterator[SqlStorage]:
    """A storage whose connections carry their own application_name, to terminate them."""
    dsn = f"{pg_url}{'&' if '?' in pg_url else '?'}application_name={app_name}"
    storage = open_postgres(PostgresConfig(dsn=dsn, schema=schema))
    yield storage
    storage.close()


def terminate(pg_url: str, app_name: str) -> int:
    """pg_terminate_backend every connection named `app_name`; returns how many."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (app_name,),
        ).fetchall()
    return len(rows)


def test_terminated_connections_are_replaced(
    storage: SqlStorage, pg_url: str, app_name: str
) -> None:
    run = storage.add_run(Run(job_name="j"))
    assert storage.work_notifier().wait_for_work(1.0) is True
    assert terminate(pg_url, app_name) >= 2  # a pooled connection and the listener
    assert storage.get_run(run.id) == run
    storage.add_run(Run(job_name="j"))
    assert storage.count_runs() == 2
    # The listener notices the loss and reconnects; that counts as a wake-up.
    deadline = time.monotonic() + 10
    while not storage.work_notifier().wait_for_work(0.2):
        assert time.monotonic() < deadline


@frozen
class Lines:
    n: int


def chatty(ctx: Context, inp: NoInput) -> Lines:
    for i in range(LINES):
        ctx.log.info("line %d", i)
        time.sleep(0.01)
    return Lines(LINES)


def test_run_finishes_with_every_event_once_while_backends_are_terminated(
    storage: SqlStorage, pg_url: str, app_name: str
) -> None:
    job = dag.job("chatty").add(dag.op("chatty", chatty)).build()
    results = []
    thread = threading.Thread(target=lambda: results.append(execute(job, storage=storage)))
    thread.start()
    kills = 0
    while thread.is_alive():
        kills += terminate(pg_url, app_name)
        time.sleep(0.05)
    thread.join()
    assert kills > 0
    (result,) = results
    assert storage.get_run(result.run_id).status is RunStatus.SUCCESS
    events = storage.list_events(result.run_id, limit=10_000)
    logged = Counter(e.message for e in events if e.kind is EventKind.LOG)
    assert logged == Counter({f"line {i}": 1 for i in range(LINES)})


def test_a_commit_lost_in_transit_is_applied_once(storage: SqlStorage, pg_url: str) -> None:
    """The server commits, then the connection drops before the client hears so: the
    retry finds the transaction committed (txid_status) instead of writing again."""
    lost = []

    def commit_then_lose_the_connection(conn: Connection) -> None:
        if lost:
            return
        dbapi = conn.connection.dbapi_connection
        (pid,) = dbapi.execute("SELECT pg_backend_pid()").fetchone()
        dbapi.commit()  # the server commits ...
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with contextlib.suppress(psycopg.OperationalError):
            dbapi.execute("SELECT 1")  # ... and the client learns the connection is gone
        lost.append(pid)

    run = storage.add_run(Run(job_name="j"))
    event.listen(storage.engine, "commit", commit_then_lose_the_connection)
    try:
        storage.add_events([Event(run_id=run.id, kind=EventKind.LOG, message="once")])
    finally:
        event.remove(storage.engine, "commit", commit_then_lose_the_connection)
    assert lost, "the commit was not intercepted"
    assert [e.message for e in storage.list_events(run.id)] == ["once"]


def test_transaction_outcomes_are_looked_up_by_id(storage: SqlStorage) -> None:
    tokens = {}
    for outcome in ("commit", "rollback"):
        with storage.engine.connect() as conn:
            transaction = conn.begin()
            assert storage.dialect.transaction_token(conn) is None  # nothing written: no id
            conn.execute(runs.insert(), run_values(Run(job_name="j")))
            tokens[outcome] = storage.dialect.transaction_token(conn)
            getattr(transaction, outcome)()
    assert storage.dialect.transaction_committed(storage.engine, tokens["commit"]) is True
    assert storage.dialect.transaction_committed(storage.engine, tokens["rollback"]) is False
