"""Helpers shared by the daggo workload scripts (imported inside their `import_s` clock).

Typed wiring feeds an op's input field of type `T` from the one op that returns `T`, so a
generated graph (a 50-op chain, 200 leaves) needs generated types and functions whose
annotations are set by hand: `value_type()` and `typed_op()` do that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from daggo_core import Context, NoInput, dag
from daggo_core.definitions.jobs import JobDefinition
from daggo_core.definitions.ops import OpDefinition

__all__ = ["EXECUTOR", "Leaf", "chain_job", "fanout_job", "three_op_job", "typed_op",
           "value_type"]


def _executor() -> str:
    """What `execute()` runs on, with its default step concurrency read from the code."""
    from daggo_core.execution import run_worker

    limit = getattr(run_worker, "DEFAULT_MAX_CONCURRENT_STEPS", None)
    steps = f"up to {limit} steps at once (default)" if limit else "one step at a time"
    return f"daggo_core.execute(): in-process RunWorker, {steps}"


EXECUTOR = _executor()


def value_type(name: str, **fields: Any) -> type:
    """A frozen attrs class `name` with the given `field=type` fields."""
    return attrs.make_class(name, {key: attrs.field(type=tp) for key, tp in fields.items()},
                            frozen=True)


def typed_op(name: str, fn: Callable[[Context, Any], Any], inp: type, out: type) -> OpDefinition:
    """`dag.op(name, fn)` for a generated `fn(ctx, inp)`, annotated here as `(inp) -> out`."""
    fn.__annotations__ = {"ctx": Context, "inp": inp, "return": out}
    fn.__name__ = fn.__qualname__ = name
    return dag.op(name, fn)


def _link(out: type, first: bool) -> Callable[[Context, Any], Any]:
    def step(ctx: Context, inp: Any) -> Any:
        return out(1 if first else inp.prev.value + 1)

    return step


def chain_job(n: int, name: str) -> JobDefinition:
    """chain50's job with `n` ops: in a line, each returning its input + 1 (the last
    returns `n`), one generated output type per link."""
    outs = [value_type(f"Step{k}", value=int) for k in range(1, n + 1)]
    ops = [typed_op("step_1", _link(outs[0], True), NoInput, outs[0])]
    for k in range(2, n + 1):
        inp = value_type(f"Step{k}In", prev=outs[k - 2])
        ops.append(typed_op(f"step_{k}", _link(outs[k - 1], False), inp, outs[k - 1]))
    return dag.job(name).add(*ops).build()


@attrs.frozen
class Items:
    values: list[int]


@attrs.frozen
class LeafIn:
    items: Items


@attrs.frozen
class Leaf:
    value: int


@attrs.frozen
class TotalIn:
    leaves: list[Leaf]


@attrs.frozen
class Total:
    value: int


def _leaf(i: int) -> Callable[[Context, LeafIn], Leaf]:
    def leaf(ctx: Context, inp: LeafIn) -> Leaf:
        return Leaf(inp.items.values[i] + 1)

    return leaf


def fanout_job(leaves: int, name: str) -> JobDefinition:
    """fanout200's job with `leaves` leaves: `root` returns the list 0..leaves-1, leaf `i`
    returns `items[i] + 1`, `total` takes `list[Leaf]` and returns their sum."""

    def root(ctx: Context, inp: NoInput) -> Items:
        return Items(list(range(leaves)))

    def total(ctx: Context, inp: TotalIn) -> Total:
        return Total(sum(leaf.value for leaf in inp.leaves))

    return (dag.job(name)
            .add(typed_op("root", root, NoInput, Items),
                 *(typed_op(f"leaf_{i}", _leaf(i), LeafIn, Leaf) for i in range(leaves)),
                 typed_op("total", total, TotalIn, Total))
            .build())


def three_op_job() -> JobDefinition:
    """runs100's job: a -> b -> c, each adding 1 (c returns 3)."""
    a_out = value_type("A", value=int)
    b_in, b_out = value_type("BIn", a=a_out), value_type("B", value=int)
    c_in, c_out = value_type("CIn", b=b_out), value_type("C", value=int)

    def a(ctx: Context, inp: Any) -> Any:
        return a_out(1)

    def b(ctx: Context, inp: Any) -> Any:
        return b_out(inp.a.value + 1)

    def c(ctx: Context, inp: Any) -> Any:
        return c_out(inp.b.value + 1)

    return dag.job("three").add(typed_op("a", a, NoInput, a_out), typed_op("b", b, b_in, b_out),
                                typed_op("c", c, c_in, c_out)).build()
