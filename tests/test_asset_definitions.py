"""Asset definitions: `@asset`, assets declared on ops, their lineage and its problems."""

from __future__ import annotations

import attrs
import pytest

from daggo_core import Context, Definitions, NoInput, Queue, dag
from daggo_core.definitions.asset_snapshot import AssetKind
from daggo_core.definitions.asset_specs import AssetSpec, Automation, asset_check
from daggo_core.definitions.assets import asset
from daggo_core.definitions.partitions import (
    DailyPartitions,
    DynamicPartitions,
    StaticPartitions,
)
from daggo_core.errors import DefinitionError


@attrs.frozen
class Raw:
    rows: int


@attrs.frozen
class Clean:
    rows: int


@attrs.frozen
class CleanIn:
    raw: Raw


@attrs.frozen
class Report:
    text: str


@attrs.frozen
class ReportIn:
    clean: Clean


@asset(group="ingest", owners=["ana@example.com"])
def raw(ctx: Context, inp: NoInput) -> Raw:
    """Rows as they arrive."""
    return Raw(rows=3)


@asset(key="warehouse/clean", group="ingest", deps=["upstream_files"])
def clean(ctx: Context, inp: CleanIn) -> Clean:
    return Clean(rows=inp.raw.rows)


def problems_of(**kwargs: object) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        Definitions(**kwargs)  # type: ignore[arg-type]
    return caught.value.problems


def test_an_asset_is_named_after_its_function_and_run_by_a_job_of_its_own() -> None:
    defs = Definitions(assets=[raw, clean, AssetSpec(key="upstream_files")])
    assert raw.key == "raw" and raw.spec.description == "Rows as they arrive."
    assert set(defs.jobs_by_name) == {"raw", "warehouse__clean"}
    job = defs.job("warehouse__clean")
    assert job.asset_key == "warehouse/clean"
    # The asset it reads is a sourced op of its job: loaded, never executed.
    assert job.sourced == {"raw": "raw"} and job.asset_ops() == {
        "warehouse__clean": ("warehouse/clean",)}
    node = defs.asset_graph.nodes["warehouse/clean"]
    assert (node.upstream, node.deps, node.kind) == (("raw",), ("upstream_files",),
                                                       AssetKind.ASSET)
    assert defs.asset_graph.downstream("raw") == ("warehouse/clean",)
    assert defs.asset_graph.nodes["upstream_files"].kind is AssetKind.EXTERNAL
    assert node.snapshot().all_upstream == ("raw", "upstream_files")


def test_assets_declared_on_ops_follow_the_ops_between_them() -> None:
    def extract(ctx: Context, inp: NoInput) -> Raw:
        return Raw(rows=1)

    def transform(ctx: Context, inp: CleanIn) -> Clean:
        return Clean(rows=inp.raw.rows)

    def publish(ctx: Context, inp: ReportIn) -> Report:
        return Report(text="ok")

    job = (dag.job("etl", partitions=StaticPartitions(["eu", "us"]))
           .add(dag.op("extract", extract, assets=["lake/raw"]),
                dag.op("transform", transform),  # declares none: lineage goes through it
                dag.op("publish", publish, assets=[AssetSpec(key="report", group="bi")]))
           .build())
    graph = Definitions(jobs=[job]).asset_graph
    assert graph.nodes["report"].upstream == ("lake/raw",)
    assert graph.nodes["report"].kind is AssetKind.OP and graph.nodes["report"].job_name == "etl"
    assert graph.nodes["lake/raw"].partitions == StaticPartitions(["eu", "us"])
    assert graph.of_job("etl").keys() == {"lake/raw", "report"}


def test_an_asset_reading_a_type_no_asset_makes_names_the_field() -> None:
    problems = problems_of(assets=[clean, AssetSpec(key="upstream_files")])
    assert any("input field 'raw' (Raw): no asset produces Raw" in p for p in problems)


def test_two_assets_returning_one_type_make_a_read_ambiguous() -> None:
    @asset(key="raw_copy")
    def copy(ctx: Context, inp: NoInput) -> Raw:
        return Raw(rows=0)

    problems = problems_of(assets=[raw, copy, clean, AssetSpec(key="upstream_files")])
    assert any("ambiguous, produced by the assets raw, raw_copy" in p for p in problems)


def test_lineage_problems_are_reported_together() -> None:
    @asset(deps=["b"])
    def a(ctx: Context, inp: NoInput) -> Report:
        return Report(text="")

    @asset(deps=["a", "ghost"])
    def b(ctx: Context, inp: NoInput) -> Raw:
        return Raw(rows=0)

    problems = problems_of(assets=[a, b])
    assert any("asset 'b' deps: no asset 'ghost' is defined" in p for p in problems)
    assert any(p.startswith("the assets form a cycle: ") for p in problems)


def test_malformed_assets_are_refused_with_what_to_do() -> None:
    @asset(key="bad key!", group="no spaces please")
    def bad(ctx: Context, inp: NoInput) -> Raw:
        return Raw(rows=0)

    def not_a_check(ctx: Context) -> bool:
        return True

    @asset(checks=[not_a_check, asset_check(name="x")(lambda ctx, v: True),
                   asset_check(name="x")(lambda ctx, v: True)],
           automation=Automation(debounce=-1))
    def checked(ctx: Context, inp: NoInput) -> Report:
        return Report(text="")

    problems = problems_of(assets=[bad, checked, raw, raw, "orders"])
    text = "\n".join(problems)
    assert "asset key 'bad key!' is malformed" in text
    assert "group name 'no spaces please' is malformed" in text
    assert "check 'not_a_check' must take exactly two arguments (ctx, value), takes 1" in text
    assert "two checks are named 'x'" in text
    assert "automation debounce must be a number of seconds >= 0" in text
    assert "asset 'raw' is defined twice" in text
    assert "'orders' is not an asset" in text


def test_an_external_asset_cannot_have_checks_or_automation() -> None:
    problems = problems_of(assets=[AssetSpec(key="files", automation=Automation())])
    assert any("made outside daggo" in p and "cannot have checks or automation" in p
               for p in problems)


def test_an_asset_job_may_not_take_a_job_name_already_used() -> None:
    def x(ctx: Context, inp: NoInput) -> Report:
        return Report(text="")

    job = dag.job("raw").add(dag.op("x", x)).build()
    problems = problems_of(jobs=[job], assets=[raw])
    assert any("its job would be named 'raw', like a job already defined" in p
               for p in problems)


def test_reading_a_partitioned_value_needs_the_same_partitions_one_key_per_run() -> None:
    daily = DailyPartitions("2024-01-01")

    @asset(partitions=daily)
    def events(ctx: Context, inp: NoInput) -> Raw:
        return Raw(rows=0)

    @asset(key="summary")
    def summary(ctx: Context, inp: CleanIn) -> Clean:
        return Clean(rows=0)

    @asset(key="ranged", partitions=daily, max_partitions_per_run=7)
    def ranged(ctx: Context, inp: CleanIn) -> Report:
        return Report(text="")

    problems = problems_of(assets=[events, summary])
    assert any("asset 'summary' reads the value of asset 'events', which is partitioned "
               "(daily from 2024-01-01 (UTC)): partition it the same way" in p for p in problems)
    problems = problems_of(assets=[events, ranged])
    assert any("cannot cover a range (max_partitions_per_run must be 1)" in p for p in problems)


def test_partitions_and_ranges_of_jobs_are_checked() -> None:
    def x(ctx: Context, inp: NoInput) -> Report:
        return Report(text="")

    with pytest.raises(DefinitionError) as caught:
        dag.job("j", partitions=["a", "b"]).add(  # type: ignore[arg-type]
            dag.op("x", x, max_partitions_per_run=0)).build()
    text = str(caught.value)
    assert "is not a partitions definition" in text
    assert "max_partitions_per_run must be an integer >= 1, got 0" in text
    job = (dag.job("j", partitions=DailyPartitions("2024-01-01"))
           .add(dag.op("x", x, max_partitions_per_run=31)).build())
    assert job.max_partitions_per_run == 31
    assert dag.job("k").add(dag.op("x", x, max_partitions_per_run=31)).build() \
        .max_partitions_per_run == 1


def test_a_queue_attaching_a_partitioned_job_must_feed_its_dynamic_partitions() -> None:
    customers = DynamicPartitions("customers")

    def x(ctx: Context, inp: NoInput) -> Report:
        return Report(text="")

    job = dag.job("per_customer", partitions=customers).add(dag.op("x", x)).build()
    with pytest.raises(DefinitionError, match="partition the job with DynamicPartitions"):
        Queue[Raw]("q").partition_key(lambda p: str(p.rows)).jobs(job).build()
    queue = (Queue[Raw]("q").partition_key(lambda p: str(p.rows), partitions=customers)
             .jobs(job).build())
    assert queue.snapshot().dynamic_partitions == "customers"


def test_merging_definitions_makes_asset_jobs_once() -> None:
    merged = Definitions.merge(Definitions(assets=[raw]), clean,
                               AssetSpec(key="upstream_files"))
    assert sorted(merged.jobs_by_name) == ["raw", "warehouse__clean"]
    again = Definitions.merge(merged)
    assert sorted(j.name for j in again.jobs) == ["raw", "warehouse__clean"]


def test_a_partitioned_job_cannot_be_scheduled() -> None:
    def x(ctx: Context, inp: NoInput) -> Report:
        return Report(text="")

    with pytest.raises(DefinitionError, match="a partitioned job cannot have schedules"):
        (dag.job("j", partitions=StaticPartitions(["a"])).add(dag.op("x", x))
         .schedule("0 * * * *").build())
