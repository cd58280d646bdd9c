"""What an asset is, apart from how it is made: its key, owners, checks and automation."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, overload

from attrs import field, frozen

from daggo_core.definitions.asset_snapshot import CheckOutcome
from daggo_core.definitions.names import name_problem

__all__ = [
    "AssetCheck",
    "AssetSpec",
    "Automation",
    "CheckResult",
    "as_spec",
    "asset_check",
    "asset_key_problem",
    "asset_name",
]

_SEGMENT = r"[A-Za-z_][A-Za-z0-9_\-]*"
_KEY = re.compile(rf"^{_SEGMENT}(/{_SEGMENT})*$")
_KEY_MAX = 120


def asset_key_problem(key: object) -> str | None:
    """Why `key` is not a valid asset key, or None: segments of letters, digits, '_' and
    '-' joined by '/' ("warehouse/orders"), at most 120 characters."""
    if not isinstance(key, str) or not _KEY.match(key) or len(key) > _KEY_MAX:
        return (f"asset key {key!r} is malformed: use segments of letters, digits, '_' or '-' "
                f"(each starting with a letter or '_') joined by '/', at most {_KEY_MAX} "
                "characters, e.g. 'warehouse/orders'")
    return None


def asset_name(key: str) -> str:
    """The job and op name made for the asset `key` ('/' becomes '__')."""
    return key.replace("/", "__")


@frozen(kw_only=True)
class CheckResult:
    """What an asset check found: PASS, WARN or FAIL, why, and metadata to show."""

    outcome: CheckOutcome = field(default=CheckOutcome.PASS, converter=CheckOutcome)
    description: str = ""
    metadata: Mapping[str, Any] = field(factory=dict)


@frozen(kw_only=True)
class AssetCheck:
    """A function `(ctx, value) -> CheckResult | bool` run after its asset materializes,
    with the value the asset's op returned. A `blocking` check that fails fails the step:
    the asset is not recorded as materialized; others only record their result."""

    name: str
    fn: Callable[..., Any]
    description: str = ""
    blocking: bool = False

    def problems(self, label: str) -> list[str]:
        problems = []
        bad = name_problem("check", self.name)
        if bad:
            problems.append(f"{label}: {bad}")
        given: object = self.fn  # an app without type checking may give anything
        if not callable(given):
            problems.append(f"{label}: check {self.name!r}: {self.fn!r} is not callable")
            return problems
        try:
            params = [p for p in inspect.signature(self.fn).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            return problems
        if len(params) != 2:
            problems.append(f"{label}: check {self.name!r} must take exactly two arguments "
                            f"(ctx, value), takes {len(params)}")
        if inspect.iscoroutinefunction(self.fn):
            problems.append(f"{label}: check {self.name!r} is async; checks are plain "
                            "functions")
        return problems


@overload
def asset_check(fn: Callable[..., Any], /) -> AssetCheck: ...
@overload
def asset_check(*, name: str | None = None, description: str | None = None,
                blocking: bool = False) -> Callable[[Callable[..., Any]], AssetCheck]: ...


def asset_check(fn: Callable[..., Any] | None = None, /, *, name: str | None = None,
                description: str | None = None, blocking: bool = False
                ) -> AssetCheck | Callable[[Callable[..., Any]], AssetCheck]:
    """Make an `AssetCheck` of a function `(ctx, value) -> CheckResult | bool`, named
    after it unless `name` is given; pass it in `checks=` of `@asset` or `AssetSpec`."""

    def make(check_fn: Callable[..., Any]) -> AssetCheck:
        doc = inspect.getdoc(check_fn) or ""
        check_name = name or str(getattr(check_fn, "__name__", "check"))
        return AssetCheck(name=check_name, fn=check_fn,
                          description=description if description is not None
                          else doc.split("\n\n")[0], blocking=blocking)

    return make if fn is None else make(fn)


@frozen(kw_only=True)
class Automation:
    """Launch the asset when an asset it depends on materializes, once no further
    upstream materialization came for `debounce` seconds (and none of its runs waits)."""

    debounce: float = 30.0


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _checks(value: Iterable[AssetCheck | Callable[..., Any]]) -> tuple[AssetCheck, ...]:
    return tuple(c if isinstance(c, AssetCheck) else asset_check(c) for c in value)


@frozen(kw_only=True)
class AssetSpec:
    """An asset's identity and management: its key, group, owners and description, the
    assets it follows without reading their values (`deps`), checks and automation.

    Given alone in `Definitions(assets=...)`, it declares an asset made outside daggo,
    which daggo only observes; given in `dag.op(..., assets=[...])`, an asset the op
    materializes.
    """

    key: str
    group: str = "default"
    owners: tuple[str, ...] = field(default=(), converter=_strings)
    description: str = ""
    deps: tuple[str, ...] = field(default=(), converter=_strings)
    checks: tuple[AssetCheck, ...] = field(default=(), converter=_checks)
    automation: Automation | None = None
    tags: Mapping[str, str] = field(factory=dict)

    def problems(self, label: str) -> list[str]:
        """Problems of the spec itself (lineage is checked with the whole graph)."""
        problems = []
        bad = asset_key_problem(self.key)
        if bad:
            problems.append(f"{label}: {bad}")
        bad_group = name_problem("group", self.group)
        if bad_group:
            problems.append(f"{label}: {bad_group}")
        for dep in self.deps:
            bad_dep = asset_key_problem(dep)
            if bad_dep:
                problems.append(f"{label}: deps: {bad_dep}")
        names: set[str] = set()
        for check in self.checks:
            problems.extend(check.problems(label))
            if check.name in names:
                problems.append(f"{label}: two checks are named {check.name!r}")
            names.add(check.name)
        if self.automation is not None and not (
            isinstance(self.automation.debounce, int | float) and self.automation.debounce >= 0
        ):
            problems.append(f"{label}: automation debounce must be a number of seconds >= 0, "
                            f"got {self.automation.debounce!r}")
        return problems


def as_spec(value: AssetSpec | str) -> AssetSpec:
    """An asset declared on an op by key alone, or by a full spec."""
    return value if isinstance(value, AssetSpec) else AssetSpec(key=value)
