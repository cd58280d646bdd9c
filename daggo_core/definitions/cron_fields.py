"""Which field of a five-field cron expression is out of range, said the way users read it."""

from __future__ import annotations

__all__ = ["cron_field_problem"]

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

#: Each field: its name, the range of its numbers, the names it also takes.
_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 7, _DAYS),  # 0 and 7 are both Sunday
)
#: Items that stand for "any" or "last", not numbers.
_WILDCARDS = frozenset({"*", "?", "l"})


def cron_field_problem(cron: str) -> str | None:
    """The first value of `cron` outside its field's range, as "hour 25 is out of range
    0-23" (or an unknown month or day name, or a step below 1); None when there is none
    or the expression does not have five fields."""
    parts = cron.split()
    if len(parts) != len(_FIELDS):
        return None
    for text, (name, low, high, names) in zip(parts, _FIELDS, strict=True):
        for item in text.lower().split(","):
            problem = _item_problem(item, name, low, high, names)
            if problem is not None:
                return problem
    return None


def _item_problem(item: str, name: str, low: int, high: int,
                  names: tuple[str, ...]) -> str | None:
    """`item` is `*`, `N`, `A-B`, any of them with `/STEP`, or (day-of-week) `N#K`."""
    values, _, step = item.partition("/")
    if step and (not step.isdigit() or int(step) < 1):
        return f"{name} step {step!r} must be a whole number of at least 1"
    values, _, nth = values.partition("#")
    if name == "day-of-week" and nth.isdigit() and not 1 <= int(nth) <= 5:
        return f"{name} occurrence #{nth} is out of range 1-5 (e.g. 1#2, the second Monday)"
    for value in values.split("-"):
        if value in _WILDCARDS or not value:
            continue
        if value.isdigit() and not low <= int(value) <= high:
            return f"{name} {int(value)} is out of range {low}-{high}"
        if value.isalpha() and names and value not in names:
            return f"{name} {value!r} is not a {name} name ({names[0]}-{names[-1]})"
    return None
