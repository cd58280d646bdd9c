"""A step's attempts, metadata and output preview: recorded by the run, read through
Runs.Get on every backend, drawn on the Gantt and shown on the run page."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen
from markupsafe import escape

import daggo_core
from daggo_core import Context, NoInput, RetryPolicy, dag, execute
from daggo_core.config import default_config
from daggo_core.services.runs import RunDetail, RunsGetRequest, StepStatus
from daggo_core.services.step_details import LIFECYCLE_EVENTS, OUTPUT_PREVIEW_CHARS
from daggo_core.storage.base import Storage
from daggo_core.storage.records import ErrorInfo, Event, EventKind, StepRecord
from daggo_core.testing.services import services_over
from daggo_core.testing.storage_contract import at, make_run
from daggo_core.web.gantt import gantt


@frozen
class Rows:
    n: int


@frozen
class Text:
    text: str


def flaky(ctx: Context, inp: NoInput) -> Rows:
    ctx.add_metadata(attempt_seen=ctx.attempt)
    if ctx.attempt == 1:
        raise ConnectionError("the <b>database</b> blinked")
    ctx.add_metadata(rows=120, path="s3://bucket/<key>", cols=["a", "b"], stats={"nulls": 0})
    return Rows(120)


def failing(ctx: Context, inp: NoInput) -> Rows:
    ctx.add_metadata(read=7)
    raise ValueError("bad row 8")


def big(ctx: Context, inp: NoInput) -> Text:
    return Text("x" * 5000)


RETRY = RetryPolicy(max_attempts=3, delay_seconds=0.05, jitter=0)
FLAKY = dag.job("flaky").add(dag.op("flaky", flaky, retry=RETRY)).build()
FAILING = dag.job("failing").add(dag.op("failing", failing)).build()
BIG = dag.job("big").add(dag.op("big", big)).build()


def detail_of(storage: Storage, run_id: str) -> RunDetail:
    return services_over(storage).runs.get(RunsGetRequest(run_id=run_id))


def test_a_retried_step_lists_its_attempts_and_final_metadata(storage: Storage) -> None:
    result = execute(FLAKY, storage=storage)
    assert result.success
    lifecycle = [(e.kind, e.data["attempt"]) for e in result.events()
                 if e.kind in LIFECYCLE_EVENTS.kinds]  # type: ignore[operator]
    assert lifecycle == [(EventKind.STEP_STARTED, 1), (EventKind.STEP_RETRY, 1),
                         (EventKind.STEP_STARTED, 2), (EventKind.STEP_SUCCESS, 2)]
    [step] = detail_of(storage, result.run_id).steps
    assert step.attempt == 2 and step.status is StepStatus.SUCCESS
    first, second = step.attempts
    assert (first.attempt, first.status) == (1, StepStatus.FAILURE)
    assert first.error == "ConnectionError: the <b>database</b> blinked"
    assert first.finished_at is not None and second.started_at >= first.finished_at
    assert (second.attempt, second.status, second.error) == (2, StepStatus.SUCCESS, None)
    assert (second.started_at, second.finished_at) == (step.started_at, step.finished_at)
    assert step.metadata == {"attempt_seen": 2, "rows": 120, "path": "s3://bucket/<key>",
                             "cols": ["a", "b"], "stats": {"nulls": 0}}
    assert step.output_preview is not None and '"n": 120' in step.output_preview


def test_a_failed_step_keeps_the_metadata_it_recorded(storage: Storage) -> None:
    result = execute(FAILING, storage=storage)
    [step] = detail_of(storage, result.run_id).steps
    assert step.status is StepStatus.FAILURE and step.metadata == {"read": 7}
    [attempt] = step.attempts
    assert attempt.error == "ValueError: bad row 8" and step.output_preview is None


def test_a_big_output_is_previewed_cut_saying_so(storage: Storage) -> None:
    result = execute(BIG, storage=storage)
    [step] = detail_of(storage, result.run_id).steps
    preview = step.output_preview
    assert preview is not None and preview.startswith('{\n "text": "xxx')
    head, note = preview.split("\n… ")
    assert len(head) == OUTPUT_PREVIEW_CHARS and "cut: 2,000 of 5,0" in note


def test_steps_of_runs_whose_events_name_no_attempt_still_list_them(storage: Storage) -> None:
    """Runs recorded before the lifecycle events carried "attempt": attempts are counted;
    a step with no events at all has one attempt, from its record."""
    run = storage.add_run(make_run())
    error = ErrorInfo(type="OSError", message="gone")

    def event(kind: EventKind, step: str, seconds: float, **data: Any) -> Event:
        return Event(run_id=run.id, kind=kind, step_key=step, timestamp=at(seconds), data=data)

    storage.record_steps(
        [StepRecord(run_id=run.id, step_key="old", status=StepStatus.SUCCESS, attempt=2,
                    started_at=at(2), finished_at=at(3)),
         StepRecord(run_id=run.id, step_key="bare", status=StepStatus.FAILURE,
                    started_at=at(1), finished_at=at(4), error=error)],
        [],
        [event(EventKind.STEP_STARTED, "old", 0),
         event(EventKind.STEP_RETRY, "old", 1, error={"type": "OSError", "message": "gone"}),
         event(EventKind.STEP_STARTED, "old", 2), event(EventKind.STEP_SUCCESS, "old", 3)])
    old, bare = detail_of(storage, run.id).steps
    assert [(a.attempt, a.status, a.error) for a in old.attempts] == [
        (1, StepStatus.FAILURE, "OSError: gone"), (2, StepStatus.SUCCESS, None)]
    assert old.attempts[0].finished_at == at(1)
    assert [(a.attempt, a.status, a.started_at, a.error) for a in bare.attempts] == [
        (1, StepStatus.FAILURE, at(1), "OSError: gone")]
    assert old.metadata == {} and bare.output_preview is None


@pytest.mark.parametrize(("values", "message"), [
    ({"when": dt.date(2026, 1, 1)}, r"metadata 'when': date is not JSON-serializable"),
    ({"rows": [1, {2}]}, r"metadata 'rows': set is not JSON-serializable"),
    ({"by": {1: "a"}}, r"metadata 'by': dict keys must be strings, got 1"),
    ({"ratio": float("nan")}, r"metadata 'ratio': nan is not a JSON number"),
])
def test_add_metadata_refuses_what_json_cannot_hold(values: dict[str, Any],
                                                    message: str) -> None:
    ctx = Context(run_id="r", job_name="j", op_name="o", log=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=message):
        ctx.add_metadata(ok=1, **values)
    assert ctx.metadata == {}  # nothing of a refused call is kept


def test_the_gantt_draws_each_attempt_and_the_wait_between(storage: Storage) -> None:
    result = execute(FLAKY, storage=storage)
    detail = detail_of(storage, result.run_id)
    chart = gantt(detail, dt.datetime.now(dt.UTC))
    assert chart is not None
    bars = [bar for bar in chart.bars if bar.label == "flaky"]
    assert [bar.status for bar in bars] == ["FAILURE", "DELAY", "SUCCESS"]
    failed, wait, succeeded = bars
    assert failed.x + failed.width <= wait.x + 0.01 and wait.x + wait.width <= succeeded.x + 0.01
    assert failed.title.startswith("flaky: attempt 1 of 2, failed after ")
    assert failed.title.split(": ", 2)[2].startswith(
        "ConnectionError: the <b>database</b> blinked, started ")
    assert succeeded.title.startswith("flaky: attempt 2 of 2, succeeded after ")
    assert wait.title.startswith("flaky: waited 0.0") and wait.title.endswith("before attempt 2")


def test_the_run_page_shows_attempt_segments_and_escaped_metadata(tmp_path: Path) -> None:
    cfg = default_config()
    cfg.database.sqlite.path = str(tmp_path / "daggo.sqlite")
    cfg.scheduler.enabled = False
    app = daggo_core.open(cfg, FLAKY)
    try:
        result = execute(FLAKY, storage=app.storage)

        async def fetch() -> str:
            response = await app.asgi.test_client().get(f"/runs/{result.run_id}")
            assert response.status_code == 200
            return str(await response.get_data(as_text=True))

        page = asyncio.run(fetch())
    finally:
        app.close()
    assert page.count('class="bar bad"') == 1 and page.count('class="bar ok"') == 1
    assert page.count('class="bar delay"') == 1
    assert "attempt 1 of 2, failed after" in page
    # User strings are escaped: in the bar's title, the attempts table and the metadata.
    assert "<b>database</b>" not in page and "the &lt;b&gt;database&lt;/b&gt; blinked" in page
    assert "<key>" not in page and "<td>s3://bucket/&lt;key&gt;</td>" in page
    assert "<td>rows</td><td><code>120</code></td>" in page
    preview = escape('{\n "n": 120\n}')  # quotes as &#34;
    assert f'<pre class="output">{preview}</pre>' in page
    assert "flaky: 2 attempts, 5 metadata, output</summary>" in page
