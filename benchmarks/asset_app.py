"""The app of benchmarks/asset_speed.py: an hourly-partitioned asset, an asset of static
partitions to backfill, and a lineage of assets; sizes from the environment.

    ASSET_BENCH_PARTITIONS=100000 ASSET_BENCH_BACKFILL=10000 ASSET_BENCH_ASSETS=500 \
        daggo run -f benchmarks/asset_app.py
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

import attrs

from daggo_core import (
    Context,
    Definitions,
    HourlyPartitions,
    NoInput,
    StaticPartitions,
    asset,
)
from daggo_core.definitions.assets import AssetDefinition

LAYERS = 50


@attrs.frozen
class Tick:
    n: int


def _tick(ctx: Context, inp: NoInput) -> Tick:
    return Tick(n=1)


def app_definitions(partitions: int, backfill: int, assets: int) -> Definitions:
    """The app at these sizes (the hourly asset's partitions end at the current hour, as
    of the start of the day: the same keys all day)."""
    now = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    hourly = HourlyPartitions(now - dt.timedelta(hours=partitions))
    defined: list[AssetDefinition] = [
        asset(key="events", partitions=hourly)(_tick),
        asset(key="backfilled", partitions=StaticPartitions(
            [f"k{i:06d}" for i in range(backfill)]))(_tick),
        *lineage(assets),
    ]
    return Definitions(assets=defined)


def lineage(count: int) -> list[AssetDefinition]:
    """`count` assets in LAYERS layers: each reads the first asset of the layer before
    (by type) and follows two more of it."""
    width = max(1, count // LAYERS)
    made: list[AssetDefinition] = []
    for index in range(count):
        layer, position = divmod(index, width)
        out = attrs.make_class(f"Value{index}", {"n": attrs.field(type=int)}, frozen=True)
        if layer == 0:
            inp: Any = NoInput
            deps: list[str] = []
        else:
            source = made[(layer - 1) * width]
            inp = attrs.make_class(f"In{index}", {"up": attrs.field(type=source.op.output_type)},
                                   frozen=True)
            deps = [f"graph/a{(layer - 1) * width + (position + k) % width}" for k in (1, 2)]
        made.append(asset(key=f"graph/a{index}", group=f"layer{layer}",
                          deps=deps)(_typed(inp, out)))
    return made


def _typed(inp: Any, out: Any) -> Callable[..., Any]:
    def make(ctx: Context, value: Any) -> Any:
        return out(n=1)

    make.__annotations__ = {"ctx": Context, "value": inp, "return": out}
    return make


defs = app_definitions(int(os.environ.get("ASSET_BENCH_PARTITIONS", "100000")),
                       int(os.environ.get("ASSET_BENCH_BACKFILL", "10000")),
                       int(os.environ.get("ASSET_BENCH_ASSETS", "500")))
