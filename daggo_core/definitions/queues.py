"""Queues: typed items delivered by routes, a loader or the API, each starting runs of
the queue's jobs; validated at build time like jobs.

```python
imports = (Queue[ImportEnvelope]("customer_imports")
    .route("/queues/customer-imports")
    .loader(load_imports, mode="poll", poll_every=2.0)
    .partition_key(lambda item: item.customer_id)
    .item_key(lambda item: f"{item.customer_id}/{item.batch_id}")
    .jobs(import_job, audit_job)
    .retries(2, backoff=30.0)
    .build())
```
"""

from __future__ import annotations

import enum
import inspect
import json
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

import attrs
from attrs import field, frozen

from daggo_core.definitions.jobs import JobBuilder, JobDefinition
from daggo_core.definitions.ops import _target, name_problem
from daggo_core.definitions.params_check import check_fields, structure_checked
from daggo_core.definitions.params_schema import ParamsSchema, params_schema
from daggo_core.definitions.partitions import DynamicPartitions
from daggo_core.definitions.snapshot import QueueSnapshot
from daggo_core.errors import DefinitionError, PayloadError
from daggo_core.serde import unserializable_reasons, unstructure

__all__ = [
    "KEY_LIMIT",
    "Batch",
    "LoaderMode",
    "PushResult",
    "Pusher",
    "Queue",
    "QueueDefinition",
    "QueueItemIn",
    "QueueLoader",
    "QueueRequest",
    "QueueRoute",
]

P = TypeVar("P")

#: The longest item or partition key storage keeps.
KEY_LIMIT = 255
#: The most automatic retries of an item, and the longest first backoff (a day).
MAX_RETRIES = 100
MAX_BACKOFF_SECONDS = 86_400.0
#: First path segments taken by the app's own pages and APIs: no route may use them.
_RESERVED_SEGMENTS = ("rpc", "static", "api", "runs", "jobs", "schedules", "workers",
                      "settings", "metrics", "healthz", "plugins", "login", "logout")


class LoaderMode(enum.StrEnum):
    """How a loader delivers items: called every `poll_every` seconds, or running for the
    server's life and pushing them."""

    POLL = "poll"
    PUSH = "push"


@frozen
class QueueItemIn:
    """An item with an explicit key (it overrides the queue's `item_key` function);
    `payload` is a payload instance or a mapping of JSON values."""

    payload: Any
    key: str | None = None


@frozen
class Batch(Generic[P]):
    """What a poll loader returns: `items` (payload instances, mappings of JSON values or
    QueueItemIn), the `cursor` to store with them (None: unchanged) and `lag`, the items
    the source still holds after this batch (shown as the loader's lag)."""

    items: Sequence[P | Mapping[str, Any] | QueueItemIn]
    cursor: str | None = None
    lag: int | None = None


@frozen(kw_only=True)
class PushResult:
    """What became of pushed items: the ids of the items `accepted`, the `deduplicated`
    ones as (id of the new deduplicated record, id of the earlier item it duplicates),
    and one message per item `rejected`."""

    accepted: tuple[str, ...] = ()
    deduplicated: tuple[tuple[str, str], ...] = ()
    rejected: tuple[str, ...] = ()


class Pusher(Protocol):
    """What a push loader gets: it stores items, and the cursor stored with them."""

    @property
    def cursor(self) -> str | None:
        """The cursor stored with the last push (None before the first)."""

    @property
    def stopping(self) -> bool:
        """True once the server stops: a sync push loader checks it and returns (an
        async one is cancelled instead)."""

    def push(self, items: Sequence[Any], *, cursor: str | None = None) -> PushResult:
        """Store `items` (as a poll loader's batch items) and, unless None, `cursor`."""


@frozen(kw_only=True)
class QueueRequest:
    """A request to one of a queue's routes, as its handler gets it. `push(items,
    key=None)` (supplied by the server) delivers items to the queue and returns once
    they are stored; an async handler awaits `push_async(items, key=None)` instead,
    which leaves the server's event loop free meanwhile."""

    method: str
    path: str
    headers: Mapping[str, str] = field(factory=dict)
    query: Mapping[str, str] = field(factory=dict)
    body: bytes = b""
    push: Callable[..., PushResult]
    push_async: Callable[..., Awaitable[PushResult]]

    def json(self) -> Any:
        """The body parsed as JSON; raises PayloadError when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError as exc:  # not JSON, or not UTF-8
            raise PayloadError(f"the body is not JSON: {exc}") from exc


@frozen
class QueueRoute:
    """A path under the app that takes items; `handler(request: QueueRequest)`, sync or
    async, turns a request into items (None: the body is a payload or a list of them)."""

    path: str
    handler: Callable[[QueueRequest], object] | None = None


@frozen
class QueueLoader:
    """A queue's loader: see `Queue.loader` for what `fn` is called with and returns."""

    fn: Callable[[Any], object]
    mode: LoaderMode
    poll_every: float
    is_async: bool


@frozen(kw_only=True, eq=False)
class QueueDefinition(Generic[P]):
    """A validated queue. Build one with `Queue[Payload](name)....build()`."""

    name: str
    description: str = ""
    payload_type: type[P]
    routes: tuple[QueueRoute, ...] = ()
    loader: QueueLoader | None = None
    partition_key_fn: Callable[[P], str] | None = None
    item_key_fn: Callable[[P], str] | None = None
    jobs: tuple[JobDefinition, ...]
    retries: int = 0
    retry_backoff: float = 60.0
    per_partition_limit: int | None = None
    #: The dynamic partitions the items' partition keys are added to, if any.
    dynamic_partitions: DynamicPartitions | None = None

    @property
    def job_names(self) -> tuple[str, ...]:
        """The names of the jobs each item starts a run of, in order."""
        return tuple(job.name for job in self.jobs)

    @property
    def payload_schema(self) -> ParamsSchema:
        """The payload class's fields and the attrs classes nested in them."""
        payload_type: type = self.payload_type
        return params_schema(payload_type)

    def make_payload(self, value: P | Mapping[str, Any]) -> P:
        """Validate an item's payload: an instance of the payload class (returned as is) or
        a mapping of JSON values, checked as job params are (no coercion). Raises
        PayloadError naming every bad field."""
        if isinstance(value, self.payload_type):
            return value
        subject = f"payload of queue {self.name!r}"
        if not isinstance(value, Mapping):
            raise PayloadError(f"{subject}: expected a mapping or a "
                               f"{self.payload_type.__name__} instance, "
                               f"got {type(value).__name__}")
        data = dict(value)
        check_fields(subject, self.payload_schema, data, PayloadError)
        return structure_checked(subject, data, self.payload_type, PayloadError)

    def payload_dict(self, value: P | Mapping[str, Any]) -> dict[str, Any]:
        """Validate a payload and return it as a JSON-ready dict for storage."""
        result: dict[str, Any] = unstructure(self.make_payload(value))
        return result

    def key_of(self, payload: P) -> str | None:
        """The item key of `payload` (None without an item key function); raises
        PayloadError when the function raises or returns no usable key."""
        return self._key("item key", self.item_key_fn, payload)

    def partition_of(self, payload: P) -> str | None:
        """The partition key of `payload` (None without a partition key function); raises
        PayloadError when the function raises or returns no usable key."""
        return self._key("partition key", self.partition_key_fn, payload)

    def snapshot(self) -> QueueSnapshot:
        """What storage keeps of the queue: its payload's schema, routes, loader, jobs and
        policies."""
        schema = self.payload_schema
        loader = self.loader
        return QueueSnapshot(
            description=self.description,
            payload_type=self.payload_type.__name__,
            payload_fields=schema.fields,
            param_classes=schema.classes,
            routes=tuple(route.path for route in self.routes),
            loader_mode=None if loader is None else loader.mode.value,
            poll_every=(loader.poll_every if loader is not None
                        and loader.mode is LoaderMode.POLL else None),
            jobs=self.job_names,
            has_partition_key=self.partition_key_fn is not None,
            dynamic_partitions=(None if self.dynamic_partitions is None
                                else self.dynamic_partitions.name),
            has_item_key=self.item_key_fn is not None,
            retries=self.retries,
            retry_backoff=self.retry_backoff,
            per_partition_limit=self.per_partition_limit,
        )

    def _key(self, what: str, fn: Callable[[P], str] | None, payload: P) -> str | None:
        if fn is None:
            return None
        label = f"queue {self.name!r}: the {what} function"
        try:
            key: object = fn(payload)
        except Exception as exc:
            raise PayloadError(f"{label} raised {type(exc).__name__}: {exc}") from exc
        if not isinstance(key, str) or not key:
            raise PayloadError(f"{label} returned {key!r}; return a non-empty string")
        if len(key) > KEY_LIMIT:
            raise PayloadError(f"{label} returned a key of {len(key)} characters "
                               f"(starting {key[:40]!r}); keys are at most {KEY_LIMIT} characters")
        if "\x00" in key:  # not every database keeps one in a text column
            raise PayloadError(f"{label} returned {key!r}, which holds a NUL character; "
                               "return a key without one")
        return key


class Queue(Generic[P]):
    """Collects a queue's routes, loader, keys, jobs and policies; `build()` validates
    them and returns the QueueDefinition. Give the payload class as the type argument:
    `Queue[ImportEnvelope]("customer_imports")`; each item starts one run of every job
    attached, without params."""

    def __init__(self, name: str, *, description: str = "") -> None:
        self.name = name
        self.description = description
        self._routes: list[QueueRoute] = []
        self._loader: tuple[Callable[[Any], object], LoaderMode | str, float] | None = None
        self._partition_key_fn: Callable[[P], str] | None = None
        self._item_key_fn: Callable[[P], str] | None = None
        self._jobs: list[JobDefinition] = []
        self._retries: tuple[int, float] = (0, 60.0)
        self._per_partition: int | None = None
        self._dynamic: DynamicPartitions | None = None
        self._given: set[str] = set()
        self._twice: dict[str, None] = {}  # settings given more than once, in order

    def route(self, path: str, handler: Callable[[QueueRequest], object] | None = None,
              ) -> Queue[P]:
        """Take items at `path` (under the app; any method). Without `handler` the body
        is one payload or a list of them, as JSON; `handler(request: QueueRequest)`,
        sync or async, reads the request and delivers items with `request.push(items,
        key=None)`. May be called for several paths."""
        self._routes.append(QueueRoute(path, handler))
        return self

    def loader(self, fn: Callable[[Any], object], *, mode: LoaderMode | str | None = None,
               poll_every: float = 5.0) -> Queue[P]:
        """Load items from a source with `fn` (sync or async), at most one per queue.

        - mode "poll": `fn(cursor: str | None) -> Batch[P] | Sequence[P | Mapping |
          QueueItemIn]` is called every `poll_every` seconds with the cursor stored with
          the previous batch (None at first); a plain sequence leaves the cursor as is.
        - mode "push": `fn(pusher: Pusher)` runs for the server's life; `pusher.push(items,
          cursor=...)` stores items (and the cursor); `pusher.cursor` is the stored one.

        Without `mode`, a ready-made loader (`daggo_core.queue_loader`) brings its own;
        any other function polls.
        """
        self._once("loader")
        chosen: LoaderMode | str = (mode if mode is not None
                                    else getattr(fn, "loader_mode", LoaderMode.POLL))
        self._loader = (fn, chosen, poll_every)
        return self

    def partition_key(self, fn: Callable[[P], str], *,
                      partitions: DynamicPartitions | None = None) -> Queue[P]:
        """Group items by `fn(payload) -> str` (see `concurrency`); shown on its runs.

        With `partitions`, each key is added to those dynamic partitions, so the queue
        may attach jobs partitioned by them: each run is for its item's key.
        """
        self._once("partition_key")
        self._partition_key_fn = fn
        self._dynamic = partitions
        return self

    def item_key(self, fn: Callable[[P], str]) -> Queue[P]:
        """Deduplicate items by `fn(payload) -> str`: a key already accepted starts
        nothing (a QueueItemIn's own key overrides it)."""
        self._once("item_key")
        self._item_key_fn = fn
        return self

    def jobs(self, *jobs: JobDefinition) -> Queue[P]:
        """Start a run of each of these jobs for every item (their Params need defaults:
        the runs get no params)."""
        self._jobs.extend(jobs)
        return self

    def retries(self, n: int, *, backoff: float = 60.0) -> Queue[P]:
        """Run an item's failed jobs again up to `n` times, `backoff` seconds apart, before
        the item is dead-lettered (default: no retries)."""
        self._once("retries")
        self._retries = (n, backoff)
        return self

    def concurrency(self, *, per_partition: int | None) -> Queue[P]:
        """Execute at most `per_partition` runs of this queue at once per partition key."""
        self._once("concurrency")
        self._per_partition = per_partition
        return self

    def build(self) -> QueueDefinition[P]:
        """Validate the queue and return it; raises one DefinitionError listing every
        problem."""
        label = f"queue {self.name!r}"
        problems: list[str] = []
        bad_name = name_problem("queue", self.name)
        if bad_name:
            problems.append(bad_name)
        problems.extend(f"{label}: .{name}() is called twice; call it once"
                        for name in self._twice)
        payload_type = self._payload_type()
        problems.extend(self._payload_problems(payload_type))
        problems.extend(self._route_problems())
        loader = self._build_loader(problems)
        for what, fn in (("partition_key", self._partition_key_fn),
                         ("item_key", self._item_key_fn)):
            if fn is not None:
                problems.extend(_callable_problems(label, f"{what} function", fn, "the payload"))
        jobs = self._jobs_checked(problems)
        problems.extend(self._policy_problems())
        if problems:
            raise DefinitionError(label, problems)
        retries, backoff = self._retries
        return QueueDefinition(
            name=self.name,
            description=self.description,
            payload_type=payload_type,
            routes=tuple(self._routes),
            loader=loader,
            partition_key_fn=self._partition_key_fn,
            item_key_fn=self._item_key_fn,
            jobs=jobs,
            retries=retries,
            retry_backoff=float(backoff),
            per_partition_limit=self._per_partition,
            dynamic_partitions=self._dynamic,
        )

    def _once(self, setting: str) -> None:
        if setting in self._given:
            self._twice[setting] = None
        self._given.add(setting)

    def _payload_type(self) -> Any:
        """The type argument of `Queue[P]` (set on the instance after `__init__`)."""
        alias = getattr(self, "__orig_class__", None)
        args = typing.get_args(alias)
        return args[0] if args else None

    def _payload_problems(self, payload_type: Any) -> list[str]:
        label = f"queue {self.name!r}"
        if payload_type is None:
            return [f"{label}: give the payload type: Queue[MyPayload]({self.name!r})"]
        if not attrs.has(payload_type):
            return [f"{label}: payload type {payload_type!r} must be an attrs class"]
        return [f"{label} payload: {reason}" for reason in unserializable_reasons(payload_type)]

    def _route_problems(self) -> list[str]:
        label = f"queue {self.name!r}"
        problems: list[str] = []
        seen: set[object] = set()
        for route in self._routes:
            problem = _path_problem(route.path)
            if problem:
                problems.append(f"{label}: route {route.path!r} {problem}")
            elif route.path in seen:
                problems.append(f"{label}: route {route.path!r} is declared twice")
            seen.add(route.path)
            if route.handler is not None:
                problems.extend(_callable_problems(
                    label, f"handler of route {route.path!r}", route.handler, "the request"))
        return problems

    def _build_loader(self, problems: list[str]) -> QueueLoader | None:
        if self._loader is None:
            return None
        label = f"queue {self.name!r}"
        fn, mode, poll_every = self._loader
        found: list[str] = []
        try:
            loader_mode = LoaderMode(mode)
        except ValueError:
            found.append(f"{label}: loader mode {mode!r} is unknown; use 'poll' or 'push'")
            loader_mode = LoaderMode.POLL
        argument = "the cursor" if loader_mode is LoaderMode.POLL else "the pusher"
        found.extend(_callable_problems(label, "loader", fn, argument))
        if isinstance(poll_every, bool) or not (isinstance(poll_every, int | float)
                                                and poll_every > 0):
            found.append(f"{label}: poll_every must be a number of seconds > 0, "
                         f"got {poll_every!r}")
        problems.extend(found)
        if found:
            return None
        return QueueLoader(fn=fn, mode=loader_mode, poll_every=float(poll_every),
                           is_async=inspect.iscoroutinefunction(_target(fn)))

    def _jobs_checked(self, problems: list[str]) -> tuple[JobDefinition, ...]:
        label = f"queue {self.name!r}"
        jobs: dict[str, JobDefinition] = {}
        given: Sequence[object] = self._jobs  # an app without type checking may give anything
        for job in given:
            if isinstance(job, JobBuilder):
                problems.append(f"{label}: job {job.name!r} was given without .build(); "
                                "call .build()")
            elif not isinstance(job, JobDefinition):
                problems.append(f"{label}: {job!r} is not a job; build jobs with "
                                "dag.job(...).build()")
            elif job.name in jobs:
                problems.append(f"{label}: job {job.name!r} is attached twice")
            else:
                jobs[job.name] = job
                problems.extend(_params_problems(job))
                problems.extend(self._job_partition_problems(job))
        if not self._jobs:
            problems.append(f"{label}: has no jobs; attach at least one with .jobs(...)")
        return tuple(jobs.values())

    def _job_partition_problems(self, job: JobDefinition) -> list[str]:
        """A partitioned job's runs are for their items' partition keys: the job must be
        partitioned by the dynamic partitions those keys are added to."""
        if job.partitions is None or (self._dynamic is not None
                                      and job.partitions == self._dynamic):
            return []
        return [f"queue {self.name!r} attaches job {job.name!r}, partitioned "
                f"({job.partitions.describe()}): its runs are for the items' partition keys, "
                "so partition the job with DynamicPartitions and give the same to "
                ".partition_key(fn, partitions=...)"]

    def _policy_problems(self) -> list[str]:
        label = f"queue {self.name!r}"
        problems = []
        retries, backoff = self._retries
        if type(retries) is not int or not 0 <= retries <= MAX_RETRIES:
            problems.append(f"{label}: retries must be an integer from 0 to {MAX_RETRIES}, "
                            f"got {retries!r}")
        if isinstance(backoff, bool) or not (isinstance(backoff, int | float)
                                             and 0 < backoff <= MAX_BACKOFF_SECONDS):
            problems.append(f"{label}: retry backoff must be a number of seconds > 0 and at "
                            f"most {MAX_BACKOFF_SECONDS:g} (a day), got {backoff!r}")
        limit = self._per_partition
        if limit is not None and (type(limit) is not int or limit < 1):
            problems.append(f"{label}: per_partition must be an integer >= 1, got {limit!r}")
        return problems


def _path_problem(path: object) -> str | None:
    """Why `path` cannot be a route, or None when it can."""
    if not isinstance(path, str) or not path.startswith("/"):
        return "must be a string starting with '/'"
    if path in ("/", "/queues"):
        page = "root" if path == "/" else "Queues page"
        return f"is the admin's {page}; use a path of its own, e.g. '/queues/<name>'"
    if any(c in path for c in "?#") or any(c.isspace() for c in path):
        return "must not contain '?', '#' or spaces"
    segment = path[1:].split("/", 1)[0]
    if segment in _RESERVED_SEGMENTS:
        return (f"is taken by the app's own '/{segment}' pages; use another path, "
                "e.g. under '/queues/'")
    return None


def _callable_problems(label: str, what: str, fn: object, argument: str) -> list[str]:
    """Why `fn` cannot be called with one argument, or nothing when it can."""
    if not callable(fn):
        return [f"{label}: {what} {fn!r} is not callable"]
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without a signature: taken on trust
        return []
    try:
        signature.bind(None)
    except TypeError as exc:
        return [f"{label}: {what} must take one argument ({argument}): {exc}"]
    return []


def _params_problems(job: JobDefinition) -> list[str]:
    """A job whose Params has required fields cannot run for an item (it gets no params)."""
    if job.params_type is None:
        return []
    required = [f.name for f in params_schema(job.params_type).fields if f.required]
    if not required:
        return []
    fields = (f"field {required[0]!r} has no default" if len(required) == 1 else
              f"fields {', '.join(map(repr, required))} have no default")
    return [f"job {job.name!r} needs params ({fields}); a queue's runs are launched "
            "without params: give every field a default"]
