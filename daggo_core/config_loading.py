"""Loading a tree of attrs settings classes from a TOML file and `DAGGO_*` variables."""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn, override

from daggo_core.errors import ConfigError

__all__ = [
    "Check",
    "InvalidValue",
    "Loaded",
    "SettingsTree",
    "config_error",
    "load_settings",
    "rule_of",
    "settings_tree",
]

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})

Check = Callable[[Any], None]
SettingPath = tuple[str, ...]


class InvalidValue(ValueError):
    """A value breaks its setting's rule; the message says how, not which setting."""


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


# ---------------------------------------------------------------------------- the tree


@attrs.frozen
class SettingsTree:
    """The tables and settings under a root class, each setting's variable, and a converter.

    A field whose type is an attrs class is a table; any other field is a setting, even a
    dict-valued one (it is set as a whole, from a TOML table or a JSON object).
    """

    root: type
    tables: tuple[tuple[SettingPath, type], ...]
    settings: tuple[SettingPath, ...]
    env_names: dict[SettingPath, str]
    converter: cattrs.Converter


def settings_tree(root: type, env_prefix: str) -> SettingsTree:
    """Walk `root`'s tables; a variable is the prefix + innermost table + setting, upper-cased
    (admin.port -> ADMIN_PORT, database.sqlite.path -> SQLITE_PATH)."""
    tables = tuple(_tables(root, ()))
    settings = tuple(
        (*prefix, f.name)
        for prefix, cls in tables
        for f in attrs.fields(cls)
        if not attrs.has(f.type)
    )
    env_names = {path: env_prefix + "_".join(path[-2:]).upper() for path in settings}
    converter = _make_converter(cls for _, cls in tables)
    return SettingsTree(
        root=root, tables=tables, settings=settings, env_names=env_names, converter=converter
    )


def _tables(cls: type, prefix: SettingPath) -> Iterator[tuple[SettingPath, type]]:
    attrs.resolve_types(cls)
    yield prefix, cls
    for f in attrs.fields(cls):
        if isinstance(f.type, type) and attrs.has(f.type):
            yield from _tables(f.type, (*prefix, f.name))


# ---------------------------------------------------------------------------- converter


def _structure_bool(value: Any, _: type) -> Any:
    if not isinstance(value, str):
        return value
    word = value.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise InvalidValue(f"expected a boolean (true/false, 1/0, yes/no, on/off), got {value!r}")


def _structure_int(value: Any, _: type) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidValue(f"expected an integer, got {value!r}") from None


def _structure_float(value: Any, _: type) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return value
    try:
        return float(value.strip())
    except ValueError:
        raise InvalidValue(f"expected a number, got {value!r}") from None


def _structure_optional_float(value: Any, _: type) -> Any:
    return None if value == "" else _structure_float(value, float)


def _structure_optional_str(value: Any, _: type) -> Any:
    return None if value == "" else value


def _structure_json_table(value: Any, _: type) -> Any:
    """A dict setting: a TOML table as it is, or a JSON object in a string ("" is empty)."""
    if not isinstance(value, str):
        return dict(value) if isinstance(value, Mapping) else value
    if not value.strip():
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        raise InvalidValue(f"expected a JSON object, got {value!r}") from None
    if not isinstance(parsed, dict):
        raise InvalidValue(f"expected a JSON object, got {value!r}")
    return parsed


def _field_hook(conv: cattrs.Converter, field: attrs.Attribute[Any]) -> Any:
    check = rule_of(field)
    kind: Any = field.type

    def hook(value: Any, _: type) -> Any:
        value = conv.structure(value, kind)
        check(value)
        return value

    return hook


def _configure_table(conv: cattrs.Converter, cls: type) -> None:
    hooks = {f.name: override(struct_hook=_field_hook(conv, f)) for f in attrs.fields(cls)}
    structure = make_dict_structure_fn(
        cls, conv, _cattrs_forbid_extra_keys=True, _cattrs_detailed_validation=True, **hooks
    )

    def hook(value: Any, _: type) -> Any:
        if not isinstance(value, Mapping):
            raise InvalidValue(f"expected a table, got {value!r}")
        return structure(value, cls)

    conv.register_structure_hook(cls, hook)


def _make_converter(tables: Iterable[type]) -> cattrs.Converter:
    """Strings (from env) become bools, ints, floats and dicts; each rule runs as it is read."""
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(float | None, _structure_optional_float)
    conv.register_structure_hook(str, lambda value, _: value)
    conv.register_structure_hook(str | None, _structure_optional_str)
    conv.register_structure_hook_func(lambda kind: kind == Mapping[str, int], _structure_json_table)
    for cls in tables:
        _configure_table(conv, cls)
    return conv


# ---------------------------------------------------------------------------- loading


@attrs.frozen
class Loaded:
    """A loaded root object, where each setting came from, and the file read (if any)."""

    value: Any
    sources: Mapping[SettingPath, str]
    label: str | None
    file: Path | None

    def source_of(self, path: SettingPath) -> str:
        """The file label or variable that set `path`, or "default"."""
        return self.sources.get(path, "default")


def load_settings(
    tree: SettingsTree,
    path: str | os.PathLike[str] | None,
    *,
    env: Mapping[str, str],
    cwd: Path | None,
) -> Loaded:
    """Defaults, then the file layer, then variables from `env`, structured as `tree.root`.

    Raises one ConfigError listing every problem, each naming the setting and its source.
    """
    raw, label, file = _read_file(path, cwd)
    sources: dict[SettingPath, str] = {}
    if label is not None:
        _record_sources(raw, (), label, frozenset(tree.settings), sources)
    for setting, name in tree.env_names.items():
        if name in env:
            _put(raw, setting, env[name])
            sources[setting] = name
    try:
        value = tree.converter.structure(raw, tree.root)
    except (ClassValidationError, InvalidValue) as exc:
        raise _load_error(tree, exc, sources, label) from None
    return Loaded(value=value, sources=sources, label=label, file=file)


def config_error(lines: list[str]) -> ConfigError:
    """One ConfigError listing `lines`, each a problem naming its setting and source."""
    noun = "problem" if len(lines) == 1 else "problems"
    body = "\n".join(f"  - {line}" for line in lines)
    return ConfigError(f"invalid configuration ({len(lines)} {noun}):\n{body}")


def _parse_toml(file: Path) -> dict[str, Any]:
    try:
        with file.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read config file: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: invalid TOML: {exc}") from None


def _read_file(
    path: str | os.PathLike[str] | None, cwd: Path | None
) -> tuple[dict[str, Any], str | None, Path | None]:
    """The file layer's raw settings, its label for messages and the file (None: no file)."""
    base = Path.cwd() if cwd is None else cwd
    if path is not None:
        file = (base / path).absolute()
        if file.name != "pyproject.toml":
            return _parse_toml(file), str(file), file
    elif (base / "daggo.toml").is_file():
        file = (base / "daggo.toml").absolute()
        return _parse_toml(file), str(file), file
    elif (base / "pyproject.toml").is_file():
        file = (base / "pyproject.toml").absolute()
    else:
        return {}, None, None
    tool = _parse_toml(file).get("tool")
    table = tool.get("daggo") if isinstance(tool, dict) else None
    label = f"{file} [tool.daggo]"
    if table is None:
        if path is not None:
            raise ConfigError(f"{file}: no [tool.daggo] table")
        return {}, None, None
    if not isinstance(table, dict):
        raise ConfigError(f"{label}: must be a table, got {table!r}")
    return table, label, file


def _record_sources(
    raw: Mapping[str, Any],
    prefix: SettingPath,
    label: str,
    settings: frozenset[SettingPath],
    out: dict[SettingPath, str],
) -> None:
    for key, value in raw.items():
        path = (*prefix, key)
        if isinstance(value, dict) and path not in settings:
            _record_sources(value, path, label, settings, out)
        else:
            out[path] = label


def _put(raw: dict[str, Any], path: SettingPath, value: str) -> None:
    node = raw
    for key in path[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            return  # the file set a table to a scalar; that error is reported instead
    node[path[-1]] = value


def _problems(exc: BaseException, path: SettingPath) -> Iterator[tuple[SettingPath, str | None]]:
    """(setting path, reason) pairs from a cattrs error tree; reason None means unknown key."""
    if isinstance(exc, ClassValidationError):
        with_notes, others = exc.group_exceptions()
        for sub, note in with_notes:
            yield from _problems(sub, (*path, note.name))
        for sub in others:
            yield from _problems(sub, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            yield (*path, key), None
    else:
        yield path, str(exc)


def _load_error(
    tree: SettingsTree,
    exc: BaseException,
    sources: Mapping[SettingPath, str],
    label: str | None,
) -> ConfigError:
    known = [".".join(p) for p in tree.settings] + [".".join(p) for p, _ in tree.tables if p]
    lines = []
    for path, reason in _problems(exc, ()):
        dotted = ".".join(path)
        if reason is None:
            close = difflib.get_close_matches(dotted, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            lines.append(f"{label}: unknown setting {dotted!r}{hint}")
        else:
            lines.append(f"{dotted} (from {sources.get(path, label)}): {reason}")
    return config_error(lines)
