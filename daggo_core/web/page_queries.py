"""What the admin's list pages read from their URLs' query strings: the runs page's
filters (`RunsQuery`) and the run page's log filters (`LogFilter`), each turned into its
service request and back into the query string of links, so that paging keeps them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from daggo_core.errors import InvalidArgumentError
from daggo_core.services.runs import EventKind, RunsGetManyRequest, RunStatus, RunTrigger

__all__ = ["LogFilter", "RunsQuery", "utc_moment"]


@frozen
class LogFilter:
    """The run page's log filters, as its URL's query string has them."""

    step: str = ""
    kind: str = ""
    level: str = ""
    search: str = ""

    @classmethod
    def of(cls, args: Mapping[str, str]) -> LogFilter:
        return cls(step=args.get("step", ""), kind=args.get("kind", ""),
                   level=args.get("level", ""), search=args.get("q", "").strip())

    def request(self) -> dict[str, Any]:
        """The `RunsEventsRequest` fields of these filters."""
        try:
            kinds = (EventKind(self.kind),) if self.kind else ()
        except ValueError:
            raise InvalidArgumentError(f"kind: no event kind {self.kind!r}") from None
        return {"step_key": self.step or None, "kinds": kinds,
                "levels": (self.level,) if self.level else (), "search": self.search or None}

    @property
    def any(self) -> bool:
        return bool(self.step or self.kind or self.level or self.search)

    def args(self, **extra: Any) -> dict[str, Any]:
        """The query string of these filters (and `extra`), for links."""
        values = {"step": self.step, "kind": self.kind, "level": self.level,
                  "q": self.search, **extra}
        return {k: v for k, v in values.items() if v}


@frozen
class RunsQuery:
    """The runs page's filters, as its URL's query string has them."""

    job: str = ""
    statuses: tuple[str, ...] = ()
    trigger: str = ""
    tag: str = ""
    since: str = ""
    until: str = ""

    @classmethod
    def of(cls, args: Mapping[str, Any]) -> RunsQuery:
        getlist = getattr(args, "getlist", lambda key: [args[key]] if key in args else [])
        return cls(job=args.get("job", "").strip(),
                   statuses=tuple(s for s in getlist("status") if s),
                   trigger=args.get("trigger", ""), tag=args.get("tag", "").strip(),
                   since=args.get("since", "").strip(), until=args.get("until", "").strip())

    def request(self, cursor: str | None) -> RunsGetManyRequest:
        """The service request of these filters; InvalidArgumentError names a bad one."""
        tags: dict[str, str] = {}
        if self.tag:
            key, sep, value = self.tag.partition("=")
            if not sep or not key.strip():
                raise InvalidArgumentError(f"tag: give key=value, got {self.tag!r}")
            tags[key.strip()] = value.strip()
        try:
            statuses = tuple(RunStatus(s) for s in self.statuses)
            triggers = (RunTrigger(self.trigger),) if self.trigger else ()
        except ValueError as exc:
            raise InvalidArgumentError(f"status or trigger: {exc}") from None
        return RunsGetManyRequest(job=self.job or None, statuses=statuses, triggers=triggers,
                                  tags=tags, created_after=utc_moment(self.since, "since"),
                                  created_before=utc_moment(self.until, "until"), cursor=cursor)

    @property
    def any(self) -> bool:
        return any((self.job, self.statuses, self.trigger, self.tag, self.since, self.until))

    def args(self, **extra: Any) -> dict[str, Any]:
        """The query string of these filters (and `extra`), for links."""
        values: dict[str, Any] = {"job": self.job, "status": list(self.statuses),
                                  "trigger": self.trigger, "tag": self.tag,
                                  "since": self.since, "until": self.until, **extra}
        return {k: v for k, v in values.items() if v}


def utc_moment(text: str, name: str) -> dt.datetime | None:
    """`text` (`2026-12-01` or `2026-12-01T09:30`, UTC unless it has an offset)."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidArgumentError(f"{name}: give a date or a time such as 2026-12-01 or "
                                   f"2026-12-01T09:30 (UTC), got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
