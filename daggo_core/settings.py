"""The toolkit of settings classes: what core's config and plugins' config sections use.

A settings class is an attrs class whose fields are made with `setting(default, rule)`.
The rule checks a value on construction, on assignment and when a file or environment
variable is loaded, and its error names the setting (`database.sqlite.busy_timeout_ms: ...`). A
plugin adds its own table of settings with a `ConfigSection` from the
`daggo_config_sections` hook; it is loaded, validated, redacted and documented like
core's own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs

from daggo_core.errors import ConfigError

__all__ = [
    "Check",
    "ConfigSection",
    "InvalidValue",
    "PathResolver",
    "boolean",
    "identifier",
    "integer",
    "number",
    "rule_of",
    "setting",
    "string",
    "table",
]

REDACTED = "********"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: A setting's rule: raises InvalidValue for a value that breaks it.
Check = Callable[[Any], None]
#: Makes a path setting's relative value absolute: `resolve(value, base folder)`.
PathResolver = Callable[[str, Path], str]

#: The dotted prefix of each settings class in the loaded tree (`"database.sqlite."`), so
#: errors raised on assignment name the whole setting.
PREFIXES: dict[type, str] = {}


class InvalidValue(ValueError):
    """A value breaks its setting's rule; the message says how, not which setting."""


@attrs.frozen(kw_only=True)
class ConfigSection:
    """A table of settings a plugin adds: `name` is its dotted place (`database.sqlite`:
    the `sqlite` table of `database`), `settings` its settings class. `rules(config)`,
    if given, yields a problem for each rule between its settings and others that the
    loaded configuration breaks (checked once every setting is valid on its own)."""

    name: str
    settings: type
    description: str = ""
    rules: Callable[[Any], Iterable[str]] | None = None


def setting(default: Any, check: Check, *, secret: bool = False,
            resolve_path: PathResolver | None = None) -> Any:
    """A setting with `default`, checked by `check`.

    `secret` settings are shown as "********" whenever they are set (in `repr`, the UI,
    the API, logs). With `resolve_path`, a relative value set in a config file is made
    relative to that file's folder (otherwise to the working directory given to
    `load_config`). A mutable default (a dict) is copied for each instance.
    """
    metadata: dict[str, Any] = {"check": check}
    if secret:
        metadata["secret"] = True
    if resolve_path is not None:
        metadata["resolve_path"] = resolve_path
    initial = attrs.Factory(default.copy) if isinstance(default, dict) else default
    return attrs.field(default=initial, validator=_validate, metadata=metadata,
                       repr=_mask if secret else True)


def table(settings: type) -> Any:
    """A nested table of settings (an attrs settings class), made fresh per instance."""
    return attrs.field(factory=settings, validator=_validate)


def rule_of(field: attrs.Attribute[Any]) -> Check:
    """A setting's rule from its metadata; a table (nested settings class) checks its type."""
    rule: Check | None = field.metadata.get("check")
    if rule is not None:
        return rule
    table: Any = field.type

    def check(value: Any) -> None:
        if not isinstance(value, table):
            raise InvalidValue(f"expected a table, got {value!r}")

    return check


def _validate(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator (on init and setattr): apply the field's rule, naming the setting."""
    try:
        rule_of(attribute)(value)
    except InvalidValue as exc:
        raise ConfigError(f"{PREFIXES.get(type(inst), '')}{attribute.name}: {exc}") from None


def _mask(value: Any) -> str:
    return repr(REDACTED) if value else repr(value)


# ---------------------------------------------------------------------------- rules


def integer(lo: int, hi: int | None = None) -> Check:
    """An integer from `lo` (to `hi`)."""
    def check(value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValue(f"expected an integer, got {value!r}")
        if hi is not None and not lo <= value <= hi:
            raise InvalidValue(f"must be between {lo} and {hi}, got {value}")
        if value < lo:
            raise InvalidValue(f"must be at least {lo}, got {value}")

    return check


def number(*, positive: bool, optional: bool = False) -> Check:
    """A finite number, > 0 if `positive` else >= 0; None too if `optional`."""
    def check(value: Any) -> None:
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidValue(f"expected a number, got {value!r}")
        if not math.isfinite(value):
            raise InvalidValue(f"expected a finite number, got {value!r}")
        if positive and value <= 0:
            raise InvalidValue(f"must be greater than 0, got {value}")
        if value < 0:
            raise InvalidValue(f"must be at least 0, got {value}")

    return check


def boolean(value: Any) -> None:
    """True or False."""
    if not isinstance(value, bool):
        raise InvalidValue(f"expected a boolean, got {value!r}")


def string(*, optional: bool = False, nonempty: bool = False,
           choices: tuple[str, ...] = ()) -> Check:
    """A string (None too if `optional`), non-empty, or one of `choices`."""
    def check(value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str):
            raise InvalidValue(f"expected a string, got {value!r}")
        if nonempty and not value:
            raise InvalidValue("must not be empty")
        if choices and value not in choices:
            raise InvalidValue(f"must be one of {', '.join(choices)}; got {value!r}")

    return check


def identifier(value: Any) -> None:
    """Letters, digits and `_`, not starting with a digit."""
    string()(value)
    if not _IDENTIFIER.fullmatch(value):
        raise InvalidValue(
            f"must be an identifier (letters, digits, _; not starting with a digit), got {value!r}"
        )
