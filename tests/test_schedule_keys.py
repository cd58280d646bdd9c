"""derive_schedule_key: readable, stable, valid keys for cron expressions."""

from typing import Any

import pytest

from daggo_core.definitions.ops import NAME_PATTERN, name_problem
from daggo_core.definitions.schedules import ScheduleDefinition, derive_schedule_key

KEYS = [
    ("* * * * *", "every_minute"),
    ("*/15 * * * *", "every_15_minutes"),
    ("*/5 * * * *", "every_5_minutes"),
    ("0 * * * *", "hourly"),
    ("5 * * * *", "hourly_at_05"),
    ("30 */2 * * *", "every_2_hours_at_30"),
    ("30 2 * * *", "daily_at_02_30"),
    ("0 0 * * *", "daily_at_00_00"),
    ("0 9 * * 1", "weekly_on_mon_at_09_00"),
    ("0 9 * * MON", "weekly_on_mon_at_09_00"),
    ("0 18 * * 0", "weekly_on_sun_at_18_00"),
    ("0 18 * * 7", "weekly_on_sun_at_18_00"),
    ("15 6 * * fri", "weekly_on_fri_at_06_15"),
    ("0 0 1 * *", "monthly_on_1_at_00_00"),
    ("45 23 28 * *", "monthly_on_28_at_23_45"),
    ("  30   2 * *  * ", "daily_at_02_30"),
    ("@daily", "daily"),
    ("@hourly", "hourly"),
]

FALLBACKS = [
    ("0 9 * * 1-5", "cron_0_9_x_x_1_5"),
    ("0 0 1,15 * *", "cron_0_0_1_15_x_x"),
    ("*/5 9-17 * * 1-5", "cron_x_5_9_17_x_x_1_5"),
    ("0 0 1 1 *", "cron_0_0_1_1_x"),
    ("0 0 * * * *", "cron_0_0_x_x_x_x"),
    ("*/x * * * *", "cron_x_x_x_x_x_x"),
    ("é 1 * * *", "cron_1_x_x_x"),
]


@pytest.mark.parametrize(("cron", "key"), KEYS, ids=[c for c, _ in KEYS])
def test_readable_keys(cron: str, key: str) -> None:
    assert derive_schedule_key(cron) == key


@pytest.mark.parametrize(("cron", "key"), FALLBACKS, ids=[c for c, _ in FALLBACKS])
def test_fallback_keys(cron: str, key: str) -> None:
    assert derive_schedule_key(cron) == key


@pytest.mark.parametrize(
    "cron", [c for c, _ in KEYS + FALLBACKS] + ["", "not a cron", "@", "!!", "0 9 * * MON-FRI"]
)
def test_derived_keys_are_valid_names(cron: str) -> None:
    key = derive_schedule_key(cron)
    assert name_problem("schedule key", key) is None, key
    assert NAME_PATTERN.match(key)


@pytest.mark.parametrize("cron", [None, 15, ["*"] * 5])
def test_non_string_cron_gets_a_valid_key(cron: Any) -> None:
    key = derive_schedule_key(cron)
    assert name_problem("schedule key", key) is None


def test_keys_are_stable() -> None:
    assert [derive_schedule_key(c) for c, _ in KEYS] == [derive_schedule_key(c) for c, _ in KEYS]


def test_effective_key_prefers_explicit_key() -> None:
    assert ScheduleDefinition(cron="30 2 * * *").effective_key == "daily_at_02_30"
    assert ScheduleDefinition(cron="30 2 * * *", key="nightly").effective_key == "nightly"
