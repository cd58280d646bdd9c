"""Names of jobs, ops, schedules and the like, and the input of a root op."""

from __future__ import annotations

import re

from attrs import frozen

__all__ = ["NAME_PATTERN", "NoInput", "name_problem"]

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,127}$")


@frozen
class NoInput:
    """The input of a root op: it depends on no other op."""


def name_problem(kind: str, name: object) -> str | None:
    """Why `name` is not a valid job/op/schedule name, or None when it is."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        return (
            f"{kind} name {name!r} is malformed: use 1-128 letters, digits, '_' or '-', "
            "starting with a letter or '_'"
        )
    return None
