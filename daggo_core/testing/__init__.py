"""Test helpers for daggo and its plugins: `ManualClock` for schedules, (needing pytest)
the storage contract suite in `daggo_core.testing.storage_contract`, and (needing httpx)
event-stream readers and the stream latency probe in `daggo_core.testing.sse`."""

from daggo_core.testing.clock import ManualClock

__all__ = ["ManualClock"]
