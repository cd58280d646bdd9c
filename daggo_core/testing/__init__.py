"""Test helpers for daggo and its plugins: `ManualClock` for schedules, and (needing pytest)
the storage contract suite in `daggo_core.testing.storage_contract`."""

from daggo_core.testing.clock import ManualClock

__all__ = ["ManualClock"]
