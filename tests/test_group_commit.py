"""Group commit (`daggo_core.queues.group_commit`): what is submitted during a write is
written together next, in order, each value with its own outcome; groups are bounded; a
failed write fails its group only; a canceled value is not written; the writer thread
ends when idle and comes back; closing writes what was submitted, then refuses."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future

import pytest

from daggo_core.queues.group_commit import GroupClosedError, GroupCommit
from daggo_core.testing.processes import wait_for


class HeldWriter:
    """A `write` that records each group and, while `hold` is clear, waits in its first
    call until it is set (so that values pile up behind it)."""

    def __init__(self, *, fail_on: str | None = None) -> None:
        self.groups: list[list[str]] = []
        self.writing = threading.Event()
        self.hold = threading.Event()
        self.fail_on = fail_on

    def __call__(self, values: Sequence[str]) -> list[str | BaseException]:
        self.groups.append(list(values))
        self.writing.set()
        self.hold.wait(10)
        if self.fail_on in values:
            raise RuntimeError(f"cannot write {self.fail_on}")
        return [ValueError(v) if v.startswith("bad") else v.upper() for v in values]


def started(write: HeldWriter, **options: int | float) -> tuple[GroupCommit[str, str],
                                                                 Future[str]]:
    """A group commit whose writer is held in the write of a first value, "first"."""
    group: GroupCommit[str, str] = GroupCommit(write, name="test-group",
                                               most=int(options.get("most", 100)),
                                               size=len, linger=options.get("linger", 10.0))
    first = group.submit("first")
    assert write.writing.wait(10)
    return group, first


def test_values_submitted_during_a_write_are_written_together_each_with_its_outcome() -> None:
    write = HeldWriter()
    group, first = started(write)
    later = [group.submit(value) for value in ("a", "bad-b", "c")]
    write.hold.set()
    assert first.result(10) == "FIRST"
    assert later[0].result(10) == "A" and later[2].result(10) == "C"
    with pytest.raises(ValueError, match="bad-b"):
        later[1].result(10)
    assert write.groups == [["first"], ["a", "bad-b", "c"]]
    group.close()


def test_a_group_holds_at_most_most_by_size_and_a_larger_value_goes_alone() -> None:
    write = HeldWriter()
    group, _ = started(write, most=6)
    futures = [group.submit(value) for value in ("aa", "bbb", "cc", "d" * 9, "e")]
    write.hold.set()
    assert [f.result(10) for f in futures] == ["AA", "BBB", "CC", "D" * 9, "E"]
    assert write.groups == [["first"], ["aa", "bbb"], ["cc"], ["d" * 9], ["e"]]
    group.close()


def test_a_write_that_raises_fails_its_group_only() -> None:
    write = HeldWriter(fail_on="x")
    group, _ = started(write)
    failed = [group.submit("x"), group.submit("y")]
    write.hold.set()
    for future in failed:
        with pytest.raises(RuntimeError, match="cannot write x"):
            future.result(10)
    assert group.submit("z").result(10) == "Z"
    group.close()


def test_a_value_canceled_before_its_write_is_not_written() -> None:
    write = HeldWriter()
    group, _ = started(write)
    canceled, kept = group.submit("gone"), group.submit("kept")
    assert canceled.cancel()
    write.hold.set()
    assert kept.result(10) == "KEPT"
    assert write.groups == [["first"], ["kept"]]
    group.close()


def test_the_writer_thread_ends_when_idle_and_a_later_value_starts_another() -> None:
    write = HeldWriter()
    write.hold.set()
    group: GroupCommit[str, str] = GroupCommit(write, name="test-idle-group", most=10,
                                               linger=0.05)

    def writers() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "test-idle-group"]

    assert group.submit("a").result(10) == "A"
    wait_for(lambda: not writers(), 10, "the idle writer thread to end")
    assert group.submit("b").result(10) == "B"
    group.close()
    assert not writers()


def test_closing_writes_what_was_submitted_then_refuses_more() -> None:
    write = HeldWriter()
    group, first = started(write)
    pending = group.submit("p")
    closing = threading.Thread(target=group.close)
    closing.start()
    write.hold.set()
    closing.join(10)
    assert not closing.is_alive()
    assert first.result(0) == "FIRST" and pending.result(0) == "P"
    with pytest.raises(GroupClosedError, match="test-group is closed"):
        group.submit("late")


def test_a_write_giving_too_few_outcomes_fails_its_group_and_the_writer_goes_on() -> None:
    calls: list[list[str]] = []

    def write(values: Sequence[str]) -> list[str | BaseException]:
        calls.append(list(values))
        return [] if values[0] == "short" else [v.upper() for v in values]

    group: GroupCommit[str, str] = GroupCommit(write, name="test-short-group", most=10)
    with pytest.raises(RuntimeError, match="0 outcomes were written for 1 values"):
        group.submit("short").result(10)
    assert group.submit("next").result(10) == "NEXT"
    group.close()
