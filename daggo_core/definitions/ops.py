"""Op definitions: a named function `(ctx, inp: In) -> Out` with attrs input and output."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Iterable
from typing import Any

import attrs
from attrs import field, frozen

from daggo_core.definitions.asset_specs import AssetSpec, as_spec
from daggo_core.definitions.names import NAME_PATTERN, NoInput, name_problem
from daggo_core.definitions.policies import RetryPolicy, retry_problems

__all__ = ["NAME_PATTERN", "NoInput", "OpDefinition", "name_problem", "op"]


@frozen(kw_only=True, eq=False)
class OpDefinition:
    """One op: its name, callable, input/output types and any definition problems.

    Problems (missing annotations, wrong signature) are collected rather than raised so
    that building the job reports every problem of every op at once.
    """

    name: str
    fn: Callable[..., Any]
    input_type: Any = None
    output_type: Any = None
    is_async: bool = False
    description: str = ""
    retry: RetryPolicy | None = None
    timeout: float | None = None
    #: The assets the op materializes each time it succeeds.
    assets: tuple[AssetSpec, ...] = ()
    #: How many partitions one run of the op may cover (a range of keys); 1: one key.
    max_partitions_per_run: int = 1
    problems: tuple[str, ...] = field(default=())

    @property
    def is_root(self) -> bool:
        return self.input_type is NoInput

    @property
    def location(self) -> str:
        """Where the op's function is defined: `path, line N, in name`, or its name alone."""
        code = getattr(_target(self.fn), "__code__", None)
        if code is None:
            return _qualname(self.fn)
        return f"{code.co_filename}, line {code.co_firstlineno}, in {code.co_name}"

    def __repr__(self) -> str:
        out = getattr(self.output_type, "__name__", self.output_type)
        return f"<op {self.name} -> {out}>"


def op(
    name: str,
    fn: Callable[..., Any],
    *,
    description: str | None = None,
    retry: RetryPolicy | None = None,
    timeout: float | None = None,
    assets: Iterable[AssetSpec | str] = (),
    max_partitions_per_run: int = 1,
) -> OpDefinition:
    """Define an op named `name` from a function or bound method, sync or async.

    `fn` takes `(ctx: Context, inp: In)` and returns `Out`, where `In` is `NoInput` or an
    attrs class whose fields are other ops' outputs, and `Out` is an attrs class.
    `retry` retries failed attempts; `timeout` (seconds) fails an attempt that runs longer.
    `assets` (keys or `AssetSpec`s) are materialized each time the op succeeds; in a
    partitioned job, `max_partitions_per_run` > 1 lets one run cover a range of keys.
    """
    problems: list[str] = []
    bad_name = name_problem("op", name)
    if bad_name:
        problems.append(bad_name)
    problems.extend(retry_problems(f"op {name!r}", retry))
    if timeout is not None and not (isinstance(timeout, int | float) and timeout > 0):
        problems.append(f"op {name!r}: timeout must be a number of seconds > 0, got {timeout!r}")
    if type(max_partitions_per_run) is not int or max_partitions_per_run < 1:
        problems.append(f"op {name!r}: max_partitions_per_run must be an integer >= 1, "
                        f"got {max_partitions_per_run!r}")
    specs = tuple(as_spec(a) for a in assets)
    for spec in specs:
        problems.extend(spec.problems(f"op {name!r} asset {spec.key!r}"))
    given: object = fn  # an app without type checking may give anything
    if not callable(given):
        problems.append(f"op {name!r}: {fn!r} is not callable")
        return OpDefinition(name=name, fn=fn, retry=retry, timeout=timeout, assets=specs,
                            max_partitions_per_run=max_partitions_per_run,
                            problems=tuple(problems))
    label = f"op {name!r} ({_qualname(fn)})"
    input_type, output_type = _read_signature(fn, label, problems)
    doc = inspect.getdoc(fn) or ""
    return OpDefinition(
        name=name,
        fn=fn,
        input_type=input_type,
        output_type=output_type,
        is_async=inspect.iscoroutinefunction(_target(fn)),
        description=description if description is not None else doc.split("\n\n")[0],
        retry=retry,
        timeout=timeout,
        assets=specs,
        max_partitions_per_run=max_partitions_per_run,
        problems=tuple(problems),
    )


def _qualname(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def _target(fn: Callable[..., Any]) -> Any:
    """The function whose annotations describe `fn`: partials and callable objects unwrap."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    if not inspect.isroutine(fn) and not inspect.isclass(fn):
        return type(fn).__call__
    return fn


def _read_signature(fn: Callable[..., Any], label: str, problems: list[str]) -> tuple[Any, Any]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        problems.append(f"{label}: cannot read its signature ({exc})")
        return None, None
    params = [
        p for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if len(params) != 2:
        problems.append(
            f"{label}: must take exactly two arguments (ctx, inp), takes {len(params)}"
        )
        return None, None
    try:
        hints = typing.get_type_hints(_target(fn))
    except Exception as exc:
        problems.append(f"{label}: annotations cannot be resolved ({type(exc).__name__}: {exc})")
        return None, None
    inp_name = params[1].name
    input_type = hints.get(inp_name)
    output_type = hints.get("return")
    if input_type is None:
        problems.append(f"{label}: argument {inp_name!r} has no type annotation "
                        "(annotate it with NoInput or an attrs class)")
    elif input_type is not NoInput and not attrs.has(input_type):
        problems.append(f"{label}: input type {_type_name(input_type)} must be NoInput "
                        "or an attrs class")
    if output_type is None or output_type is type(None):
        problems.append(f"{label}: has no return annotation (return an attrs class)")
    elif not attrs.has(output_type):
        problems.append(f"{label}: output type {_type_name(output_type)} must be an attrs class")
    return input_type, output_type


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or repr(tp)
