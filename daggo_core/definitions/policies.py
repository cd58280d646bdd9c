"""Retry policies for ops: how many attempts, how long to wait, which errors to retry."""

from __future__ import annotations

import random

from attrs import field, frozen

__all__ = ["RetryPolicy", "retry_problems"]


@frozen(kw_only=True)
class RetryPolicy:
    """Retry a failed op up to `max_attempts` times in all (the first attempt included).

    The wait before attempt n+1 is `delay_seconds * backoff ** (n - 1)`, capped at
    `max_delay_seconds`, then spread by +/- `jitter` (a fraction) so retries of many steps
    do not hit a service at the same instant. Only exceptions that are instances of
    `retry_on` are retried.
    """

    max_attempts: int = 3
    delay_seconds: float = 1.0
    backoff: float = 2.0
    max_delay_seconds: float = 60.0
    jitter: float = 0.1
    retry_on: tuple[type[BaseException], ...] = field(default=(Exception,), converter=tuple)

    def should_retry(self, attempt: int, error: BaseException) -> bool:
        """Whether attempt `attempt` (1-based) failing with `error` earns another attempt."""
        return attempt < self.max_attempts and isinstance(error, self.retry_on)

    def delay_for(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after attempt `attempt` (1-based) failed."""
        base = min(self.delay_seconds * self.backoff ** (attempt - 1), self.max_delay_seconds)
        spread = base * self.jitter
        return max(0.0, base + (rng or random).uniform(-spread, spread))


def retry_problems(label: str, policy: object) -> list[str]:
    """Why `policy` is not a usable RetryPolicy, one reason per bad field."""
    if policy is None:
        return []
    if not isinstance(policy, RetryPolicy):
        return [f"{label}: retry must be a RetryPolicy, got {policy!r}"]
    problems = []
    if policy.max_attempts < 1:
        problems.append(f"{label}: retry max_attempts must be >= 1, got {policy.max_attempts}")
    for name in ("delay_seconds", "max_delay_seconds"):
        if getattr(policy, name) < 0:
            problems.append(f"{label}: retry {name} must be >= 0")
    if policy.backoff < 1:
        problems.append(f"{label}: retry backoff must be >= 1, got {policy.backoff}")
    if not 0 <= policy.jitter <= 1:
        problems.append(f"{label}: retry jitter must be between 0 and 1, got {policy.jitter}")
    bad = [t for t in policy.retry_on
           if not (isinstance(t, type) and issubclass(t, BaseException))]
    if bad:
        problems.append(f"{label}: retry_on must hold exception classes, got {bad!r}")
    return problems
