"""Authoring queues: the builder's validation, payloads and keys, snapshots, Definitions."""

import json
from collections.abc import Sequence
from typing import Any

import attrs
import pytest
from attrs import field, frozen

import daggo_core
from daggo_core import (
    Batch,
    Context,
    Definitions,
    LoaderMode,
    NoInput,
    PayloadError,
    PushResult,
    Queue,
    QueueDefinition,
    QueueItemIn,
    QueueRequest,
    dag,
)
from daggo_core.definitions.jobs import JobDefinition
from daggo_core.definitions.params_check import check_fields
from daggo_core.definitions.queues import KEY_LIMIT, Pusher, QueueRoute
from daggo_core.definitions.snapshot import QueueSnapshot
from daggo_core.errors import DefinitionError, QueueNotFoundError
from daggo_core.serde import structure, unstructure

# --- payloads, jobs and loaders shared by the tests ------------------------------------


@frozen
class ImportEnvelope:
    customer_id: str
    batch_id: str


@frozen
class Window:
    start: int
    end: int = field()

    @end.validator
    def _after_start(self, _: Any, value: int) -> None:
        if value < self.start:
            raise ValueError("end must not be before start")


@frozen
class Windowed:
    name: str
    window: Window
    retries: int = 3


@frozen
class Loose:
    anything: Any


class NotAttrs:
    pass


@frozen
class Counted:
    count: int


@frozen
class NeedsParams:
    region: str
    limit: int = 5


@frozen
class DefaultsOnly:
    limit: int = 5


def count(ctx: Context, inp: NoInput) -> Counted:
    return Counted(1)


def make_job(name: str = "import_job", params: type | None = None) -> JobDefinition:
    return dag.job(name, params=params).add(dag.op("count", count)).build()


IMPORT_JOB = make_job("import_job")
AUDIT_JOB = make_job("audit_job")


def load_imports(cursor: str | None) -> Batch[ImportEnvelope]:
    start = int(cursor or 0)
    return Batch([ImportEnvelope("c1", str(start)), {"customer_id": "c2", "batch_id": "x"},
                  QueueItemIn({"customer_id": "c3", "batch_id": "y"}, key="own")],
                 cursor=str(start + 3), lag=0)


async def load_async(cursor: str | None) -> Sequence[ImportEnvelope]:
    return [ImportEnvelope("c1", cursor or "0")]


def push_imports(pusher: Pusher) -> None:
    pusher.push([ImportEnvelope("c1", "b1")], cursor=pusher.cursor)


class AsyncLoader:
    async def __call__(self, cursor: str | None) -> list[ImportEnvelope]:
        return []


def answer(request: QueueRequest) -> object:
    return request.push([request.json()])


def imports_queue(name: str = "customer_imports") -> Queue[ImportEnvelope]:
    return Queue[ImportEnvelope](name).jobs(IMPORT_JOB)


def build_error(builder: Queue[Any]) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        builder.build()
    return info.value


def only_problem(builder: Queue[Any]) -> str:
    (problem,) = build_error(builder).problems
    return problem


# --- building ---------------------------------------------------------------------------


def test_the_full_chain_builds_and_keeps_every_setting() -> None:
    by_customer = lambda item: item.customer_id  # noqa: E731
    by_batch = lambda item: f"{item.customer_id}/{item.batch_id}"  # noqa: E731
    imports = (Queue[ImportEnvelope]("customer_imports", description="Customer files.")
               .route("/queues/customer-imports")
               .route("/hooks/imports", answer)
               .loader(load_imports, mode="poll", poll_every=2)
               .partition_key(by_customer)
               .item_key(by_batch)
               .jobs(IMPORT_JOB, AUDIT_JOB)
               .retries(2, backoff=30)
               .concurrency(per_partition=2)
               .build())

    assert isinstance(imports, QueueDefinition)
    assert imports.name == "customer_imports"
    assert imports.description == "Customer files."
    assert imports.payload_type is ImportEnvelope
    assert imports.routes == (QueueRoute("/queues/customer-imports", None),
                              QueueRoute("/hooks/imports", answer))
    assert imports.loader is not None
    assert imports.loader.fn is load_imports
    assert imports.loader.mode is LoaderMode.POLL
    assert imports.loader.poll_every == 2.0 and isinstance(imports.loader.poll_every, float)
    assert imports.loader.is_async is False
    assert imports.partition_key_fn is by_customer
    assert imports.item_key_fn is by_batch
    assert imports.jobs == (IMPORT_JOB, AUDIT_JOB)
    assert imports.job_names == ("import_job", "audit_job")
    assert (imports.retries, imports.retry_backoff) == (2, 30.0)
    assert imports.per_partition_limit == 2


def test_defaults_without_routes_loader_or_keys() -> None:
    queue = imports_queue().build()
    assert queue.routes == ()
    assert queue.loader is None
    assert queue.partition_key_fn is None and queue.item_key_fn is None
    assert (queue.retries, queue.retry_backoff, queue.per_partition_limit) == (0, 60.0, None)


def test_without_a_payload_type_the_build_says_how_to_give_it() -> None:
    untyped: Queue[Any] = Queue("plain").jobs(IMPORT_JOB)
    assert only_problem(untyped) == (
        "queue 'plain': give the payload type: Queue[MyPayload]('plain')")


def test_the_payload_type_must_be_an_attrs_class() -> None:
    problem = only_problem(Queue[NotAttrs]("q").jobs(IMPORT_JOB))
    assert problem == f"queue 'q': payload type {NotAttrs!r} must be an attrs class"
    assert only_problem(Queue[dict[str, int]]("q").jobs(IMPORT_JOB)).startswith(
        "queue 'q': payload type dict[str, int] must be an attrs class")


def test_the_payload_type_must_round_trip_through_json() -> None:
    assert only_problem(Queue[Loose]("q").jobs(IMPORT_JOB)).startswith(
        "queue 'q' payload: Loose.anything: typing.Any cannot be serialized")


def test_every_problem_is_listed_in_one_error() -> None:
    builder: Queue[Any] = (
        Queue("bad name!")
        .route("/api/items")
        .route("items")
        .route("/q")
        .route("/q", handler="not callable")  # type: ignore[arg-type]
        .loader(load_imports)
        .loader(print, mode="pull", poll_every=True)
        .partition_key(lambda a, b: a)  # type: ignore[arg-type,misc]
        .jobs(dag.job("unbuilt"), "a job?")  # type: ignore[arg-type]
        .retries(-1, backoff=0)
        .concurrency(per_partition=0))
    error = build_error(builder)
    assert error.subject == "queue 'bad name!'"
    assert str(error).startswith("queue 'bad name!' is invalid (15 problems):\n  - ")
    label = "queue 'bad name!'"
    assert error.problems == [
        "queue name 'bad name!' is malformed: use 1-128 letters, digits, '_' or '-', "
        "starting with a letter or '_'",
        f"{label}: .loader() is called twice; call it once",
        f"{label}: give the payload type: Queue[MyPayload]('bad name!')",
        f"{label}: route '/api/items' is taken by the app's own '/api' pages; use another "
        "path, e.g. under '/queues/'",
        f"{label}: route 'items' must be a string starting with '/'",
        f"{label}: route '/q' is declared twice",
        f"{label}: handler of route '/q' 'not callable' is not callable",
        f"{label}: loader mode 'pull' is unknown; use 'poll' or 'push'",
        f"{label}: poll_every must be a number of seconds > 0, got True",
        f"{label}: partition_key function must take one argument (the payload): missing a "
        "required argument: 'b'",
        f"{label}: job 'unbuilt' was given without .build(); call .build()",
        f"{label}: 'a job?' is not a job; build jobs with dag.job(...).build()",
        f"{label}: retries must be an integer from 0 to 100, got -1",
        f"{label}: retry backoff must be a number of seconds > 0 and at most 86400 (a day), got 0",
        f"{label}: per_partition must be an integer >= 1, got 0",
    ]


@pytest.mark.parametrize(("path", "reason"), [
    ("/", "is the admin's root"),
    ("", "must be a string starting with '/'"),
    ("queues/x", "must be a string starting with '/'"),
    ("/queues/x?token=1", "must not contain '?', '#' or spaces"),
    ("/queues/x#top", "must not contain '?', '#' or spaces"),
    ("/queues/my items", "must not contain '?', '#' or spaces"),
    ("/queues/\titems", "must not contain '?', '#' or spaces"),
    ("/rpc", "is taken by the app's own '/rpc' pages"),
    ("/rpc/Queues.Push", "is taken by the app's own '/rpc' pages"),
    ("/static/x", "is taken by the app's own '/static' pages"),
    ("/api/items", "is taken by the app's own '/api' pages"),
    ("/runs", "is taken by the app's own '/runs' pages"),
    ("/jobs/import_job", "is taken by the app's own '/jobs' pages"),
    ("/login", "is taken by the app's own '/login' pages"),
    ("/queues", "is the admin's Queues page"),
])
def test_bad_route_paths_are_refused(path: str, reason: str) -> None:
    problem = only_problem(imports_queue("q").route(path))
    assert problem.startswith(f"queue 'q': route {path!r} {reason}")


def test_a_route_path_that_is_not_a_string_is_refused() -> None:
    problem = only_problem(imports_queue("q").route(7))  # type: ignore[arg-type]
    assert problem == "queue 'q': route 7 must be a string starting with '/'"


@pytest.mark.parametrize("path", ["/queues/customer-imports", "/hooks/stripe", "/runsheet",
                                  "/jobs-feed", "/queues/a/b.json"])
def test_good_route_paths_build(path: str) -> None:
    assert imports_queue().route(path).build().routes == (QueueRoute(path),)


@pytest.mark.parametrize("setting", ["loader", "partition_key", "item_key", "retries",
                                     "concurrency"])
def test_a_setting_given_twice_is_refused(setting: str) -> None:
    calls: dict[str, Any] = {
        "loader": lambda q: q.loader(load_imports),
        "partition_key": lambda q: q.partition_key(lambda item: item.customer_id),
        "item_key": lambda q: q.item_key(lambda item: item.batch_id),
        "retries": lambda q: q.retries(1),
        "concurrency": lambda q: q.concurrency(per_partition=1),
    }
    builder = imports_queue("q")
    calls[setting](builder)
    calls[setting](builder)
    assert only_problem(builder) == f"queue 'q': .{setting}() is called twice; call it once"


@pytest.mark.parametrize(("fn", "mode", "is_async"), [
    (load_imports, "poll", False),
    (load_async, LoaderMode.POLL, True),
    (AsyncLoader(), "poll", True),
    (push_imports, "push", False),
])
def test_loader_modes_and_async_detection(fn: Any, mode: Any, is_async: bool) -> None:
    loader = imports_queue().loader(fn, mode=mode).build().loader
    assert loader is not None
    assert loader.mode is LoaderMode(mode)
    assert loader.poll_every == 5.0
    assert loader.is_async is is_async


@pytest.mark.parametrize("every", [0, -1.5, True, "5", None])
def test_poll_every_must_be_a_positive_number(every: Any) -> None:
    assert only_problem(imports_queue("q").loader(load_imports, poll_every=every)) == (
        f"queue 'q': poll_every must be a number of seconds > 0, got {every!r}")


def test_loader_must_be_a_one_argument_callable() -> None:
    assert only_problem(imports_queue("q").loader("load")) == (  # type: ignore[arg-type]
        "queue 'q': loader 'load' is not callable")
    problem = only_problem(imports_queue("q").loader(lambda: [], mode="push"))  # type: ignore[arg-type,misc]
    assert problem == ("queue 'q': loader must take one argument (the pusher): too many "
                       "positional arguments")


def test_key_functions_must_be_callable() -> None:
    error = build_error(imports_queue("q").item_key("batch_id")  # type: ignore[arg-type]
                        .partition_key(lambda: "x"))  # type: ignore[arg-type,misc]
    assert error.problems == [
        "queue 'q': partition_key function must take one argument (the payload): too many "
        "positional arguments",
        "queue 'q': item_key function 'batch_id' is not callable",
    ]


def test_a_queue_needs_a_job() -> None:
    assert only_problem(Queue[ImportEnvelope]("q")) == (
        "queue 'q': has no jobs; attach at least one with .jobs(...)")


def test_jobs_are_attached_once_across_calls() -> None:
    problem = only_problem(imports_queue("q").jobs(AUDIT_JOB).jobs(IMPORT_JOB))
    assert problem == "queue 'q': job 'import_job' is attached twice"
    queue = imports_queue().jobs(AUDIT_JOB).build()
    assert queue.job_names == ("import_job", "audit_job")


def test_jobs_whose_params_have_no_defaults_are_refused() -> None:
    needy = make_job("needy", params=NeedsParams)
    assert only_problem(imports_queue("q").jobs(needy)) == (
        "job 'needy' needs params (field 'region' has no default); a queue's runs are "
        "launched without params: give every field a default")
    fine = make_job("fine", params=DefaultsOnly)
    assert imports_queue().jobs(fine).build().job_names == ("import_job", "fine")


def test_every_field_without_a_default_is_named() -> None:
    both = make_job("both", params=ImportEnvelope)
    assert only_problem(imports_queue("q").jobs(both)).startswith(
        "job 'both' needs params (fields 'customer_id', 'batch_id' have no default)")


BACKOFF_RULE = "retry backoff must be a number of seconds > 0 and at most 86400 (a day)"


@pytest.mark.parametrize(("n", "backoff", "problem"), [
    (1.5, 60.0, "retries must be an integer from 0 to 100, got 1.5"),
    (True, 60.0, "retries must be an integer from 0 to 100, got True"),
    (101, 60.0, "retries must be an integer from 0 to 100, got 101"),
    (1, -1, f"{BACKOFF_RULE}, got -1"),
    (1, False, f"{BACKOFF_RULE}, got False"),
    (1, 86_401, f"{BACKOFF_RULE}, got 86401"),
])
def test_retry_policy_is_checked(n: Any, backoff: Any, problem: str) -> None:
    assert only_problem(imports_queue("q").retries(n, backoff=backoff)) == f"queue 'q': {problem}"


def test_per_partition_limit_is_checked() -> None:
    assert only_problem(imports_queue("q").concurrency(per_partition=1.0)) == (  # type: ignore[arg-type]
        "queue 'q': per_partition must be an integer >= 1, got 1.0")
    assert imports_queue().concurrency(per_partition=None).build().per_partition_limit is None


# --- payloads and keys ------------------------------------------------------------------


def windowed_queue() -> QueueDefinition[Windowed]:
    return Queue[Windowed]("windows").jobs(IMPORT_JOB).build()


def test_make_payload_returns_an_instance_as_is() -> None:
    payload = ImportEnvelope("c1", "b1")
    assert imports_queue().build().make_payload(payload) is payload


def test_make_payload_structures_a_mapping_with_nested_classes_and_defaults() -> None:
    queue = windowed_queue()
    value = {"name": "w", "window": {"start": 1, "end": 2}}
    assert queue.make_payload(value) == Windowed("w", Window(1, 2), 3)
    assert queue.payload_dict(value) == {"name": "w", "window": {"start": 1, "end": 2},
                                         "retries": 3}
    assert queue.payload_dict(Windowed("v", Window(0, 0))) == {
        "name": "v", "window": {"start": 0, "end": 0}, "retries": 3}


def test_make_payload_names_every_bad_field() -> None:
    with pytest.raises(PayloadError) as info:
        imports_queue().build().make_payload({"batch_id": 7, "customer": "c1"})
    error = info.value
    assert str(error).startswith("payload of queue 'customer_imports': ")
    assert error.problems == (
        "customer: unknown field (did you mean 'customer_id'?)",
        "customer_id: required field missing (str)",
        "batch_id: expected str, got int 7",
    )
    assert str(error).endswith("Expected fields: customer_id: str, batch_id: str")


def test_make_payload_names_a_bad_nested_field() -> None:
    with pytest.raises(PayloadError, match=r"window\.end: expected int, got str 'late'"):
        windowed_queue().make_payload({"name": "w", "window": {"start": 1, "end": "late"}})


def test_make_payload_reports_the_payload_class_validators() -> None:
    with pytest.raises(PayloadError) as info:
        windowed_queue().make_payload({"name": "w", "window": {"start": 2, "end": 1}})
    assert str(info.value) == (
        "payload of queue 'windows': window: end must not be before start")


@pytest.mark.parametrize("value", [None, ["c1", "b1"], "c1/b1", Counted(1)])
def test_make_payload_refuses_what_is_not_a_mapping(value: Any) -> None:
    with pytest.raises(PayloadError) as info:
        imports_queue().build().make_payload(value)
    assert str(info.value) == (
        "payload of queue 'customer_imports': expected a mapping or a ImportEnvelope "
        f"instance, got {type(value).__name__}")


def test_keys_come_from_the_queue_functions() -> None:
    queue = (imports_queue().partition_key(lambda item: item.customer_id)
             .item_key(lambda item: f"{item.customer_id}/{item.batch_id}").build())
    payload = ImportEnvelope("c1", "b1")
    assert queue.key_of(payload) == "c1/b1"
    assert queue.partition_of(payload) == "c1"
    plain = imports_queue().build()
    assert plain.key_of(payload) is None
    assert plain.partition_of(payload) is None


def _fails(item: ImportEnvelope) -> str:
    raise LookupError("no customer " + item.customer_id)


@pytest.mark.parametrize(("fn", "message"), [
    (_fails, "raised LookupError: no customer c1"),
    (lambda item: 7, "returned 7; return a non-empty string"),
    (lambda item: None, "returned None; return a non-empty string"),
    (lambda item: "", "returned ''; return a non-empty string"),
    (lambda item: "k" * (KEY_LIMIT + 1),
     f"returned a key of {KEY_LIMIT + 1} characters (starting '{'k' * 40}'); keys are at most "
     f"{KEY_LIMIT} characters"),
    (lambda item: "c\x001", "returned 'c\\x001', which holds a NUL character; return a key "
     "without one"),
])
def test_key_functions_that_fail_raise_payload_errors(fn: Any, message: str) -> None:
    queue = imports_queue().partition_key(fn).item_key(fn).build()
    payload = ImportEnvelope("c1", "b1")
    with pytest.raises(PayloadError) as info:
        queue.partition_of(payload)
    assert str(info.value) == f"queue 'customer_imports': the partition key function {message}"
    with pytest.raises(PayloadError) as info:
        queue.key_of(payload)
    assert str(info.value) == f"queue 'customer_imports': the item key function {message}"


def test_a_key_of_the_limit_is_kept() -> None:
    queue = imports_queue().item_key(lambda item: "k" * KEY_LIMIT).build()
    assert queue.key_of(ImportEnvelope("c1", "b1")) == "k" * KEY_LIMIT


# --- route requests ---------------------------------------------------------------------


def _request(body: bytes) -> QueueRequest:
    async def push_async(items: Any, key: str | None = None) -> PushResult:
        return PushResult(accepted=("id1",))

    return QueueRequest(method="POST", path="/queues/x", headers={}, query={}, body=body,
                        push=lambda items, key=None: PushResult(accepted=("id1",)),
                        push_async=push_async)


def test_a_request_parses_its_json_body() -> None:
    request = _request(json.dumps({"customer_id": "c1", "batch_id": "b1"}).encode())
    assert request.json() == {"customer_id": "c1", "batch_id": "b1"}
    assert answer(request) == PushResult(accepted=("id1",))


@pytest.mark.parametrize("body", [b"", b"{not json", b"\xff\xfe\xfa"])
def test_a_body_that_is_not_json_is_a_payload_error(body: bytes) -> None:
    with pytest.raises(PayloadError, match=r"^the body is not JSON: "):
        _request(body).json()


# --- snapshot ---------------------------------------------------------------------------


def test_snapshot_round_trips_through_json() -> None:
    queue = (Queue[Windowed]("windows", description="Time windows.")
             .route("/queues/windows").route("/hooks/windows", answer)
             .loader(load_imports, poll_every=2.5)
             .partition_key(lambda item: item.name)
             .jobs(IMPORT_JOB, AUDIT_JOB)
             .retries(3, backoff=10)
             .concurrency(per_partition=4)
             .build())
    snapshot = queue.snapshot()
    stored = unstructure(snapshot)
    assert json.loads(json.dumps(stored)) == stored
    assert structure(stored, QueueSnapshot) == snapshot

    assert snapshot.payload_type == "Windowed"
    assert [f.name for f in snapshot.payload_fields] == ["name", "window", "retries"]
    assert [c.name for c in snapshot.param_classes] == ["Window"]
    assert snapshot.payload_fields[2].default == 3
    assert snapshot.routes == ("/queues/windows", "/hooks/windows")
    assert (snapshot.loader_mode, snapshot.poll_every) == ("poll", 2.5)
    assert snapshot.jobs == ("import_job", "audit_job")
    assert (snapshot.has_partition_key, snapshot.has_item_key) == (True, False)
    assert (snapshot.retries, snapshot.retry_backoff, snapshot.per_partition_limit) == (
        3, 10.0, 4)
    assert snapshot.description == "Time windows."


def test_snapshot_of_push_and_loaderless_queues() -> None:
    pushed = imports_queue().loader(push_imports, mode="push").build().snapshot()
    assert (pushed.loader_mode, pushed.poll_every) == ("push", None)
    plain = imports_queue().item_key(lambda item: item.batch_id).build().snapshot()
    assert (plain.loader_mode, plain.poll_every, plain.routes) == (None, None, ())
    assert plain.has_item_key is True


def test_the_stored_schema_refuses_what_make_payload_refuses() -> None:
    queue = imports_queue().build()
    stored = structure(unstructure(queue.snapshot()), QueueSnapshot)
    bad = {"customer_id": 1, "extra": True}
    with pytest.raises(PayloadError) as from_code:
        queue.make_payload(bad)
    with pytest.raises(PayloadError) as from_storage:
        check_fields("payload of queue 'customer_imports'", stored.payload_schema, bad,
                     PayloadError)
    assert str(from_storage.value) == str(from_code.value)


# --- Definitions ------------------------------------------------------------------------


def test_definitions_group_queues_by_name() -> None:
    first = imports_queue("first").route("/ingest/first").build()
    second = imports_queue("second").route("/ingest/second").build()
    defs = Definitions(jobs=[IMPORT_JOB], queues=[first, second])
    assert defs.queues == (first, second)
    assert defs.queue("second") is second
    assert defs.queues_by_name == {"first": first, "second": second}
    assert defs.queues_by_name is defs.queues_by_name
    with pytest.raises(QueueNotFoundError,
                       match=r"no queue named 'third' \(defined queues: first, second\)"):
        defs.queue("third")
    with pytest.raises(QueueNotFoundError, match=r"\(defined queues: none\)"):
        Definitions().queue("first")


def test_definitions_list_every_queue_problem() -> None:
    other_import_job = make_job("import_job")
    queues: list[Any] = [
        imports_queue("same").route("/queues/a").build(),
        imports_queue("same").build(),
        imports_queue("unbuilt"),
        "a queue?",
        imports_queue("clash").route("/queues/a").route("/queues/b").build(),
        Queue[ImportEnvelope]("missing").jobs(AUDIT_JOB).build(),
        Queue[ImportEnvelope]("other").jobs(other_import_job).build(),
    ]
    with pytest.raises(DefinitionError) as info:
        Definitions(jobs=[IMPORT_JOB], queues=queues)
    assert info.value.problems == [
        "two queues are named 'same'",
        "queue 'unbuilt' was added without .build(); call .build()",
        "'a queue?' is not a queue; build queues with Queue[Payload](name)...build()",
        "queues 'same' and 'clash' both declare the route '/queues/a'; give each route a "
        "path of its own",
        "queue 'missing' attaches job 'audit_job', which is not in Definitions(jobs=...); "
        "add it",
        "queue 'other' attaches a job 'import_job' other than the one in "
        "Definitions(jobs=...); attach that same job",
    ]


def test_definitions_refuse_a_queue_declaring_a_route_twice() -> None:
    built = imports_queue("twice").route("/queues/a").build()
    twice = attrs.evolve(built, routes=(*built.routes, QueueRoute("/queues/a", answer)))
    with pytest.raises(DefinitionError) as info:
        Definitions(jobs=[IMPORT_JOB], queues=[twice])
    assert info.value.problems == ["queue 'twice' declares the route '/queues/a' twice"]


def test_definitions_refuse_a_route_hiding_a_queues_admin_page() -> None:
    hiding = imports_queue("imports").route("/queues/exports/in").build()
    exports = imports_queue("exports").build()
    with pytest.raises(DefinitionError) as info:
        Definitions(jobs=[IMPORT_JOB], queues=[hiding, exports])
    assert info.value.problems == [
        "queue 'imports': the route '/queues/exports/in' would hide the admin's page of "
        "queue 'exports' (/queues/exports); use another path, e.g. '/ingest/...'"]


def test_definitions_merge_queues() -> None:
    first = imports_queue("first").build()
    second = imports_queue("second").build()
    merged = Definitions.merge(Definitions(jobs=[IMPORT_JOB], queues=[first]), second)
    assert merged.queues == (first, second)
    assert merged.jobs == (IMPORT_JOB,)
    with pytest.raises(DefinitionError, match="two queues are named 'first'"):
        Definitions.merge(Definitions(jobs=[IMPORT_JOB], queues=[first]), first)


def test_the_package_exports_the_queue_api() -> None:
    names = {"Queue", "QueueDefinition", "Batch", "QueueItemIn", "QueueRequest", "PushResult",
             "LoaderMode", "PayloadError"}
    assert names <= set(daggo_core.__all__)
    assert daggo_core.Queue is Queue and daggo_core.PayloadError is PayloadError
