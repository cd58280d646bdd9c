"""Tests for daggo_core.execution.claim_policy: limits, fairness, reasons, invariants."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from daggo_core.execution.claim_policy import ClaimDecision, ConcurrencyLimits, choose_runs
from daggo_core.storage.records import PARTITION_TAG, QUEUE_TAG, Run, RunStatus

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
_seq = itertools.count()


def _run(
    job: str = "etl",
    run_id: str | None = None,
    status: RunStatus = RunStatus.QUEUED,
    **tags: str,
) -> Run:
    n = next(_seq)
    return Run(
        id=run_id or f"r{n}",
        job_name=job,
        tags=tags,
        status=status,
        created_at=T0 + dt.timedelta(seconds=n),
    )


def _running(job: str = "etl", **tags: str) -> Run:
    return _run(job, status=RunStatus.STARTED, **tags)


def _item_run(queue: str, partition: str, run_id: str | None = None,
              status: RunStatus = RunStatus.QUEUED) -> Run:
    """A run of an item of `queue` whose partition key is `partition`."""
    run = _run("import", run_id, status, **{QUEUE_TAG: queue, PARTITION_TAG: partition})
    return Run(id=run.id, job_name=run.job_name, tags=run.tags, status=run.status,
               created_at=run.created_at, partition_key=partition, queue_item_id="i" * 32)


def _choose(queued: list[Run], running: Sequence[Run] = (), **limits: Any) -> ClaimDecision:
    limits.setdefault("max_concurrent_runs", 10)
    return choose_runs(queued, running, ConcurrencyLimits(**limits))


# ---------------------------------------------------------------------------- global limit


def test_global_limit_claims_oldest_first() -> None:
    queued = [_run(run_id=f"q{i}") for i in range(5)]
    decision = _choose(queued, max_concurrent_runs=3)
    assert decision.claim == ("q0", "q1", "q2")
    assert decision.waiting == {
        "q3": "waiting for a run slot (3 of 3 running)",
        "q4": "waiting for a run slot (3 of 3 running)",
    }


def test_running_runs_take_global_slots() -> None:
    running = [_running(), _run(status=RunStatus.STARTING)]
    queued = [_run(run_id="a"), _run(run_id="b")]
    decision = _choose(queued, running, max_concurrent_runs=3)
    assert decision.claim == ("a",)
    assert decision.waiting == {"b": "waiting for a run slot (3 of 3 running)"}


def test_nothing_queued_or_no_room() -> None:
    assert _choose([]) == ClaimDecision(claim=(), waiting={})
    full = _choose([_run(run_id="a")], [_running(), _running()], max_concurrent_runs=1)
    assert full.claim == ()
    assert full.waiting == {"a": "waiting for a run slot (2 of 1 running)"}


def test_free_slots_caps_this_coordinator() -> None:
    queued = [_run(run_id=f"q{i}") for i in range(4)]
    decision = _choose(queued, max_concurrent_runs=10, free_slots=2)
    assert decision.claim == ("q0", "q1")
    reason = "waiting for a free executor slot on this coordinator"
    assert decision.waiting == {"q2": reason, "q3": reason}
    assert decision.wait_kinds == {"q2": "executor_slot", "q3": "executor_slot"}
    assert _choose(queued, free_slots=0).claim == ()


def test_global_slots_are_named_before_free_slots() -> None:
    decision = _choose([_run(run_id="a"), _run(run_id="b")], max_concurrent_runs=1, free_slots=1)
    assert decision.waiting == {"b": "waiting for a run slot (1 of 1 running)"}
    assert decision.wait_kinds == {"b": "run_slot"}


# ---------------------------------------------------------------------------- job limits


def test_job_limit_does_not_block_other_jobs() -> None:
    queued = [
        _run("sync", "s1"), _run("sync", "s2"), _run("sync", "s3"), _run("report", "r1"),
    ]
    decision = _choose(queued, max_concurrent_runs=3, job_limits={"sync": 1})
    assert decision.claim == ("s1", "r1")
    assert decision.waiting == {
        "s2": "job 'sync' limit reached (1 of 1 running)",
        "s3": "job 'sync' limit reached (1 of 1 running)",
    }


def test_job_limit_counts_running_runs() -> None:
    decision = _choose(
        [_run("sync", "s1"), _run("other", "o1")],
        [_running("sync"), _running("sync")],
        job_limits={"sync": 2},
    )
    assert decision.claim == ("o1",)
    assert decision.waiting == {"s1": "job 'sync' limit reached (2 of 2 running)"}
    assert decision.wait_kinds == {"s1": "job_limit"}


def test_job_limit_counts_runs_picked_in_this_decision() -> None:
    queued = [_run("sync", f"s{i}") for i in range(4)]
    decision = _choose(queued, [_running("sync")], job_limits={"sync": 3})
    assert decision.claim == ("s0", "s1")
    assert decision.waiting == {
        "s2": "job 'sync' limit reached (3 of 3 running)",
        "s3": "job 'sync' limit reached (3 of 3 running)",
    }


def test_global_limit_is_named_before_job_limit() -> None:
    queued = [_run("sync", "s1"), _run("sync", "s2"), _run("other", "o1")]
    decision = _choose(queued, max_concurrent_runs=2, job_limits={"sync": 1})
    assert decision.claim == ("s1", "o1")
    assert decision.waiting == {"s2": "waiting for a run slot (2 of 2 running)"}


# ---------------------------------------------------------------------------- tag limits


def test_tag_key_limit_counts_any_value() -> None:
    queued = [
        _run(run_id="a", warehouse="snowflake"),
        _run(run_id="b", warehouse="bigquery"),
        _run(run_id="c", warehouse="snowflake"),
        _run(run_id="d"),
    ]
    decision = _choose(queued, [_running(warehouse="redshift")], tag_limits={"warehouse": 2})
    assert decision.claim == ("a", "d")
    reason = "tag 'warehouse' limit reached (2 of 2 running)"
    assert decision.waiting == {"b": reason, "c": reason}


def test_tag_key_value_limit_counts_that_value_only() -> None:
    queued = [
        _run(run_id="a1", customer="acme"),
        _run(run_id="a2", customer="acme"),
        _run(run_id="g1", customer="globex"),
        _run(run_id="g2", customer="globex"),
    ]
    decision = _choose(
        queued, [_running(customer="acme")], tag_limits={"customer=acme": 2}
    )
    assert decision.claim == ("a1", "g1", "g2")
    assert decision.waiting == {"a2": "tag 'customer=acme' limit reached (2 of 2 running)"}
    assert decision.wait_kinds == {"a2": "tag_limit"}


def test_key_value_limit_splits_at_the_first_equals_sign() -> None:
    queued = [_run(run_id="a", expr="x=1"), _run(run_id="b", expr="x=1"), _run(run_id="c")]
    decision = _choose(queued, tag_limits={"expr=x=1": 1})
    assert decision.claim == ("a", "c")
    assert decision.waiting == {"b": "tag 'expr=x=1' limit reached (1 of 1 running)"}


def test_first_blocking_tag_limit_in_configured_order_is_named() -> None:
    running = [_running(warehouse="snow", customer="acme")]
    queued = [_run(run_id="a", customer="acme", warehouse="snow")]
    both = {"customer=acme": 1, "warehouse": 1}
    assert _choose(queued, running, tag_limits=both).waiting == {
        "a": "tag 'customer=acme' limit reached (1 of 1 running)"
    }
    swapped = {"warehouse": 1, "customer=acme": 1}
    assert _choose(queued, running, tag_limits=swapped).waiting == {
        "a": "tag 'warehouse' limit reached (1 of 1 running)"
    }


def test_job_limit_is_named_before_tag_limit() -> None:
    decision = _choose(
        [_run("sync", "a", warehouse="snow")],
        [_running("sync", warehouse="snow")],
        job_limits={"sync": 1},
        tag_limits={"warehouse": 1},
    )
    assert decision.waiting == {"a": "job 'sync' limit reached (1 of 1 running)"}


def test_tag_blocked_run_does_not_block_younger_runs() -> None:
    queued = [_run(run_id=f"w{i}", warehouse="snow") for i in range(3)] + [_run(run_id="x")]
    decision = _choose(queued, max_concurrent_runs=2, tag_limits={"warehouse": 1})
    assert decision.claim == ("w0", "x")
    assert set(decision.waiting) == {"w1", "w2"}


# ---------------------------------------------------------------------------- partitions


def test_a_queues_partition_limit_caps_each_key_and_names_it() -> None:
    queued = [_item_run("imports", "acme", f"a{i}") for i in range(3)]
    queued += [_item_run("imports", "zen", "z0"), _item_run("exports", "acme", "e0")]
    decision = _choose(queued, [_item_run("imports", "acme", status=RunStatus.STARTED)],
                       partition_limits={"imports": 2})
    assert decision.claim == ("a0", "z0", "e0")  # another queue's key is its own
    assert decision.waiting["a1"] == (
        "partition 'acme' of queue 'imports' limit reached (2 of 2 running)")
    assert decision.wait_kinds["a1"] == "partition_limit"


def test_busy_partition_keys_are_shared_fairly() -> None:
    queued = [_item_run("imports", "acme", f"a{i}") for i in range(50)]
    queued += [_item_run("imports", "zen", "z0")]
    decision = _choose(queued, max_concurrent_runs=2, fair_share_tag=PARTITION_TAG)
    assert decision.claim == ("a0", "z0")


# ---------------------------------------------------------------------------- fairness


def test_busy_key_does_not_starve_another() -> None:
    queued = [_run(run_id=f"a{i}", customer="A") for i in range(100)]
    queued.append(_run(run_id="b0", customer="B"))
    decision = _choose(queued, max_concurrent_runs=2, fair_share_tag="customer")
    assert decision.claim == ("a0", "b0")
    assert len(decision.waiting) == 99
    without = _choose(queued, max_concurrent_runs=2)
    assert without.claim == ("a0", "a1")


def test_busy_key_with_running_runs_does_not_starve_another() -> None:
    # A already holds the slots it had; the one freed slot goes to B, not to A's next run.
    running = [_running(customer="A") for _ in range(3)]
    queued = [_run(run_id=f"a{i}", customer="A") for i in range(10)]
    queued.append(_run(run_id="b0", customer="B"))
    decision = _choose(queued, running, max_concurrent_runs=4, fair_share_tag="customer")
    assert decision.claim == ("b0",)


def test_three_keys_interleave_round_robin() -> None:
    queued = (
        [_run(run_id=f"a{i}", customer="A") for i in range(3)]
        + [_run(run_id=f"b{i}", customer="B") for i in range(3)]
        + [_run(run_id=f"c{i}", customer="C") for i in range(3)]
    )
    decision = _choose(queued, max_concurrent_runs=7, fair_share_tag="customer")
    assert decision.claim == ("a0", "b0", "c0", "a1", "b1", "c1", "a2")


def test_groups_are_ordered_by_their_oldest_run() -> None:
    queued = [
        _run(run_id="c0", customer="C"),
        _run(run_id="a0", customer="A"),
        _run(run_id="c1", customer="C"),
        _run(run_id="b0", customer="B"),
    ]
    decision = _choose(queued, max_concurrent_runs=3, fair_share_tag="customer")
    assert decision.claim == ("c0", "a0", "b0")


def test_runs_without_the_fair_share_tag_form_one_group() -> None:
    queued = [
        _run(run_id="n0"),
        _run(run_id="n1"),
        _run(run_id="a0", customer="A"),
        _run(run_id="n2"),
        _run(run_id="a1", customer="A"),
        _run(run_id="e0", customer=""),
    ]
    decision = _choose(queued, max_concurrent_runs=4, fair_share_tag="customer")
    assert decision.claim == ("n0", "a0", "n1", "a1")
    assert decision.waiting == {
        "n2": "waiting for a run slot (4 of 4 running)",
        "e0": "waiting for a run slot (4 of 4 running)",
    }


def test_fair_share_skips_a_key_whose_runs_are_all_blocked() -> None:
    queued = [
        _run("sync", "a0", customer="A"),
        _run("sync", "a1", customer="A"),
        _run("other", "b0", customer="B"),
        _run("other", "b1", customer="B"),
    ]
    decision = _choose(
        queued, max_concurrent_runs=3, fair_share_tag="customer", job_limits={"sync": 1}
    )
    assert decision.claim == ("a0", "b0", "b1")
    assert decision.waiting == {"a1": "waiting for a run slot (3 of 3 running)"}


def test_fair_share_respects_free_slots() -> None:
    queued = [_run(run_id=f"a{i}", customer="A") for i in range(3)] + [
        _run(run_id="b0", customer="B")
    ]
    decision = _choose(queued, fair_share_tag="customer", free_slots=2)
    assert decision.claim == ("a0", "b0")


# ---------------------------------------------------------------------------- invariants


def _violations(
    picked: list[Run], running: list[Run], limits: ConcurrencyLimits
) -> list[str]:
    """Every limit exceeded once `picked` runs join `running` ones."""
    counted = [*running, *picked]
    problems = []
    if len(counted) > max(limits.max_concurrent_runs, len(running)):
        problems.append("global")
    if limits.free_slots is not None and len(picked) > max(limits.free_slots, 0):
        problems.append("free slots")
    jobs = Counter(run.job_name for run in counted)
    for job, cap in limits.job_limits.items():
        before = sum(run.job_name == job for run in running)
        if jobs[job] > max(cap, before):
            problems.append(f"job {job}")
    for name, cap in limits.tag_limits.items():
        key, sep, value = name.partition("=")

        def matches(run: Run, key: str = key, sep: str = sep, value: str = value) -> bool:
            return run.tags.get(key) == value if sep else key in run.tags

        before = sum(map(matches, running))
        if sum(map(matches, counted)) > max(cap, before):
            problems.append(f"tag {name}")
    partitions = Counter((run.tags[QUEUE_TAG], run.partition_key) for run in counted
                         if run.partition_key is not None)
    for (queue, key), count in partitions.items():
        cap = limits.partition_limits.get(queue)
        before = sum(run.partition_key == key and run.tags[QUEUE_TAG] == queue
                     for run in running)
        if cap is not None and count > max(cap, before):
            problems.append(f"partition {queue}/{key}")
    return problems


def _random_case(rng: random.Random) -> tuple[list[Run], list[Run], ConcurrencyLimits]:
    jobs = ["a", "b", "c", "d"]
    values = ["x", "y", "z"]

    def tags() -> dict[str, str]:
        return {k: rng.choice(values) for k in ("customer", "warehouse", "team")
                if rng.random() < 0.6}

    def any_run(status: RunStatus) -> Run:
        if rng.random() < 0.3:
            return _item_run(rng.choice(["q1", "q2"]), rng.choice(values), status=status)
        return _run(rng.choice(jobs), status=status, **tags())

    running = [any_run(RunStatus.STARTED) for _ in range(rng.randrange(0, 8))]
    queued = [any_run(RunStatus.QUEUED) for _ in range(rng.randrange(0, 60))]
    tag_names = ["customer", "warehouse", "team"] + [
        f"{k}={v}" for k in ("customer", "warehouse", "team") for v in values
    ]
    limits = ConcurrencyLimits(
        max_concurrent_runs=rng.randrange(0, 40),
        job_limits={j: rng.randrange(0, 6) for j in rng.sample(jobs, rng.randrange(0, 4))},
        tag_limits={t: rng.randrange(0, 6) for t in rng.sample(tag_names, rng.randrange(0, 5))},
        fair_share_tag=rng.choice([None, "customer", "team", PARTITION_TAG]),
        partition_limits={q: rng.randrange(0, 4) for q in rng.sample(["q1", "q2"],
                                                                     rng.randrange(0, 3))},
        free_slots=rng.choice([None, None, *range(0, 30)]),
    )
    return queued, running, limits


@pytest.mark.parametrize("seed", range(300))
def test_random_inputs_never_exceed_a_limit_or_leave_a_fitting_run_waiting(seed: int) -> None:
    rng = random.Random(seed)
    queued, running, limits = _random_case(rng)
    decision = choose_runs(queued, running, limits)
    by_id = {run.id: run for run in queued}
    picked = [by_id[run_id] for run_id in decision.claim]

    assert len(set(decision.claim)) == len(decision.claim)
    assert set(decision.claim) | set(decision.waiting) == set(by_id)
    assert not set(decision.claim) & set(decision.waiting)
    assert _violations(picked, running, limits) == []
    # Without fairness, claims keep queue order.
    if limits.fair_share_tag is None:
        order = [run.id for run in queued if run.id in set(decision.claim)]
        assert list(decision.claim) == order
    # A waiting run is really blocked: adding it would break some limit.
    for run_id, reason in decision.waiting.items():
        assert reason
        assert _violations([*picked, by_id[run_id]], running, limits), (run_id, reason)
