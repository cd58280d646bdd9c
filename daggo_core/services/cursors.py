"""Opaque page cursors: where a keyset page ended, as a string clients pass back.

A cursor names the list it belongs to, so one list's cursor given to another is refused
with a clear error instead of paging from a wrong place.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from daggo_core.errors import InvalidArgumentError

__all__ = ["cursor_moment", "decode_cursor", "encode_cursor"]


def encode_cursor(kind: str, *position: Any) -> str:
    """A cursor of list `kind` at `position` (JSON-able values)."""
    raw = json.dumps([kind, *position], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(kind: str, cursor: str, arity: int) -> list[Any]:
    """The `arity` position values of a cursor of list `kind`; InvalidArgumentError if
    `cursor` is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        value = None
    if not (isinstance(value, list) and len(value) == arity + 1 and value[0] == kind):
        raise InvalidArgumentError(
            f"cursor: {cursor!r} is not a cursor of this list; pass the next_cursor of a "
            "previous page, or no cursor for the first page")
    return value[1:]


def cursor_moment(value: Any) -> dt.datetime:
    """The time a cursor position holds (ISO text, always with its UTC offset: every
    cursor a list makes is UTC); InvalidArgumentError for anything else."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidArgumentError("cursor: not a cursor of this list")
    return moment
