"""Authoring namespace: `dag.op(name, fn)` and `dag.job(name).add(...).build()`."""

from __future__ import annotations

from daggo_core.definitions.jobs import JobBuilder as job
from daggo_core.definitions.ops import NoInput, op
from daggo_core.definitions.policies import RetryPolicy
from daggo_core.definitions.schedules import ScheduleDefinition

__all__ = ["NoInput", "RetryPolicy", "ScheduleDefinition", "job", "op"]
