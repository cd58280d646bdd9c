"""Loading a tree of attrs settings classes from a TOML file and `DAGGO_*` variables.

The tree is core's settings classes plus the tables plugins add (`ConfigSection`s),
each attached to a table that holds sections (a `sections_field()`). Loading collects
every problem before failing: unknown keys (with a did-you-mean), values breaking their
rules, and settings that are planned but not available yet, each naming the setting and
where its value came from. Unknown `DAGGO_*` variables are warnings.
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn, override

from daggo_core.errors import ConfigError
from daggo_core.settings import PREFIXES, ConfigSection, InvalidValue, rule_of

__all__ = [
    "Loaded",
    "SettingsTree",
    "config_error",
    "holds_sections",
    "load_settings",
    "sections_field",
    "settings_tree",
]

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_SECTIONS = "sections"

SettingPath = tuple[str, ...]


def sections_field() -> Any:
    """The field of a table that holds the tables plugins add to it, by name."""
    return attrs.field(factory=dict, kw_only=True, metadata={_SECTIONS: True})


def holds_sections(cls: type) -> bool:
    """Whether plugins may add tables to the settings class `cls`."""
    return any(f.metadata.get(_SECTIONS) for f in attrs.fields(cls))


# ---------------------------------------------------------------------------- the tree


@attrs.frozen
class SettingsTree:
    """Every table and setting under a root class, each setting's variable, a converter.

    A field whose type is an attrs class is a table; any other field is a setting, even a
    dict-valued one (it is set as a whole, from a TOML table or a JSON object). `sections`
    are the plugins' tables by path; `planned` maps settings that are not available yet
    to why.
    """

    root: type
    env_prefix: str
    tables: tuple[tuple[SettingPath, type], ...]
    settings: tuple[SettingPath, ...]
    env_names: dict[SettingPath, str]
    sections: dict[SettingPath, type]
    planned: dict[SettingPath, str]
    converter: cattrs.Converter

    def env_name(self, path: SettingPath) -> str:
        """The variable of setting `path`, by the same rule as every other."""
        return _env_name(self, path)


def settings_tree(root: type, env_prefix: str, *, sections: Sequence[ConfigSection] = (),
                  planned: Mapping[SettingPath, str] | None = None) -> SettingsTree:
    """Walk `root`'s tables and the `sections` plugins add; a variable is the prefix +
    innermost table + setting, upper-cased (admin.port -> ADMIN_PORT, database.sqlite.path
    -> SQLITE_PATH). Raises ConfigError for a section attached where no sections go, or
    one whose variables would also set another setting."""
    tables = list(_tables(root, ()))
    holders = {path for path, cls in tables if holds_sections(cls)}
    added: dict[SettingPath, type] = {}
    for section in sections:
        path = tuple(section.name.split("."))
        if path[:-1] not in holders:
            where = ".".join(path[:-1]) or "the top level"
            raise ConfigError(f"config section {section.name!r}: {where} takes no tables "
                              f"from plugins (those that do: "
                              f"{', '.join('.'.join(p) or '(top)' for p in sorted(holders))})")
        if path in added or any(path == p for p, _ in tables):
            raise ConfigError(f"config section {section.name!r} is added twice")
        added[path] = section.settings
        tables.extend(_tables(section.settings, path))
    settings = tuple(
        (*prefix, f.name)
        for prefix, cls in tables
        for f in attrs.fields(cls)
        if not attrs.has(f.type) and not f.metadata.get(_SECTIONS)
    )
    for path, cls in tables:
        PREFIXES[cls] = "".join(f"{p}." for p in path)
    tree = SettingsTree(root=root, env_prefix=env_prefix, tables=tuple(tables),
                        settings=settings, env_names={},
                        sections=added, planned=dict(planned or {}),
                        converter=_make_converter(cls for _, cls in tables))
    claimed: dict[str, SettingPath] = {}
    for path in settings:
        name = _env_name(tree, path)
        if name in claimed:
            raise ConfigError(
                f"settings {'.'.join(claimed[name])} and {'.'.join(path)} would both be set "
                f"by {name}: rename the table or the setting of the section that adds one")
        claimed[name] = path
        tree.env_names[path] = name
    return tree


def _env_name(tree: SettingsTree, path: SettingPath) -> str:
    return tree.env_prefix + "_".join(path[-2:]).upper()


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
    # Any, not AttributeOverride: splatted, the field names could (for mypy) also be the
    # `_cattrs_*` options of make_dict_structure_fn.
    hooks: dict[str, Any] = {
        f.name: override(omit=True) if f.metadata.get(_SECTIONS)
        else override(struct_hook=_field_hook(conv, f))
        for f in attrs.fields(cls)
    }
    structure: cattrs.SimpleStructureHook[Mapping[str, Any], Any] = make_dict_structure_fn(
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
    conv.register_structure_hook_func(lambda kind: kind in (Mapping[str, int], Mapping[str, str]),
                                      _structure_json_table)
    for cls in tables:
        _configure_table(conv, cls)
    return conv


# ---------------------------------------------------------------------------- loading


@attrs.frozen
class Loaded:
    """A loaded root object, where each setting came from, the file read (if any), and
    warnings about the environment (unknown `DAGGO_*` variables)."""

    value: Any
    sources: Mapping[SettingPath, str]
    label: str | None
    file: Path | None
    warnings: tuple[str, ...] = ()

    def source_of(self, path: SettingPath) -> str:
        """The file label or variable that set `path`, or "default"."""
        return self.sources.get(path, "default")


def load_settings(
    tree: SettingsTree,
    path: str | os.PathLike[str] | None,
    *,
    env: Mapping[str, str],
    cwd: Path | None,
    other_variables: Iterable[str] = (),
) -> Loaded:
    """Defaults, then the file layer, then variables from `env`, structured as `tree.root`
    with the plugins' sections attached; relative path settings resolved.

    Raises one ConfigError listing every problem, each naming the setting and its source.
    `other_variables` are `DAGGO_*` variables that are not settings (they get no warning).
    """
    raw, label, file = _read_file(path, cwd)
    sources: dict[SettingPath, str] = {}
    if label is not None:
        _record_sources(raw, (), label, frozenset(tree.settings), sources)
    for setting, name in tree.env_names.items():
        if name in env:
            _put(raw, setting, env[name])
            sources[setting] = name
    lines = _planned_problems(tree, raw, env, label)
    section_raw = {p: _pop(raw, p) for p in sorted(tree.sections, key=len, reverse=True)}
    value: Any = None
    try:
        value = tree.converter.structure(raw, tree.root)
    except (ClassValidationError, InvalidValue) as exc:
        lines.extend(_problem_lines(tree, exc, (), sources, label))
    sections: dict[SettingPath, Any] = {}
    for section_path, cls in tree.sections.items():
        try:
            sections[section_path] = tree.converter.structure(section_raw[section_path] or {},
                                                              cls)
        except (ClassValidationError, InvalidValue) as exc:
            lines.extend(_problem_lines(tree, exc, section_path, sources, label))
    if lines or value is None:
        raise config_error(lines)
    attach_sections(value, sections)
    warnings = tuple(_unknown_variables(tree, env, other_variables))
    return Loaded(value=value, sources=sources, label=label, file=file, warnings=warnings)


def attach_sections(root: Any, sections: Mapping[SettingPath, Any]) -> None:
    """Put each section's settings object in the `sections` of its parent table."""
    for section_path, settings in sections.items():
        parent = root
        for key in section_path[:-1]:
            parent = getattr(parent, key)
        parent.sections[section_path[-1]] = settings


def resolve_paths(tree: SettingsTree, loaded: Loaded, cwd: Path | None) -> None:
    """Make relative path settings absolute: against the config file's folder when the
    file set them, else against `cwd` (when given)."""
    from_file_base = loaded.file.parent if loaded.file else None
    for prefix, cls in tree.tables:
        for f in attrs.fields(cls):
            resolve = f.metadata.get("resolve_path")
            if resolve is None:
                continue
            setting = (*prefix, f.name)
            from_file = loaded.label is not None and loaded.sources.get(setting) == loaded.label
            base = from_file_base if from_file else cwd
            if base is None:
                continue
            owner = loaded.value
            for key in prefix:
                owner = getattr(owner, key)
            setattr(owner, f.name, resolve(getattr(owner, f.name), base))


def config_error(lines: list[str]) -> ConfigError:
    """One ConfigError listing `lines`, each a problem naming its setting and source."""
    noun = "problem" if len(lines) == 1 else "problems"
    body = "\n".join(f"  - {line}" for line in lines)
    return ConfigError(f"invalid configuration ({len(lines)} {noun}):\n{body}")


def _planned_problems(tree: SettingsTree, raw: dict[str, Any], env: Mapping[str, str],
                      label: str | None) -> list[str]:
    """Refuse (and drop from `raw`) settings that are not available yet."""
    lines = []
    for setting, why in tree.planned.items():
        dotted = ".".join(setting)
        if _pop(raw, setting) is not None:
            lines.append(f"{dotted} (from {label}): not available yet: {why}; remove it")
        name = tree.env_name(setting)
        if name in env:
            lines.append(f"{dotted} (from {name}): not available yet: {why}; unset {name}")
    for table in {setting[:-1] for setting in tree.planned if setting[:-1]}:
        node = _get(raw, table)
        if isinstance(node, dict) and not node:
            _pop(raw, table)  # its only settings were planned ones
    return lines


def _unknown_variables(tree: SettingsTree, env: Mapping[str, str],
                       other_variables: Iterable[str]) -> Iterator[str]:
    known = set(tree.env_names.values()) | set(other_variables)
    known |= {tree.env_name(p) for p in tree.planned}
    prefix = tree.env_prefix
    # Compared without the shared prefix, which would make every name look close.
    candidates = {name.removeprefix(prefix): name
                  for name in set(tree.env_names.values()) | set(other_variables)}
    for name in sorted(env):
        if not name.startswith(prefix) or name in known or name.startswith(f"{prefix}TEST_"):
            continue
        close = difflib.get_close_matches(name.removeprefix(prefix), sorted(candidates), n=1)
        hint = f" (did you mean {candidates[close[0]]}?)" if close else ""
        yield (f"environment variable {name} is not a daggo setting and is ignored{hint}; "
               "CONFIGURATION.md lists them, and `daggo plugins` the plugins adding more")


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


def _get(raw: Mapping[str, Any], path: SettingPath) -> Any:
    node: Any = raw
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _pop(raw: dict[str, Any], path: SettingPath) -> Any:
    parent = _get(raw, path[:-1]) if path[:-1] else raw
    if isinstance(parent, dict):
        return parent.pop(path[-1], None)
    return None


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


def _problem_lines(tree: SettingsTree, exc: BaseException, at: SettingPath,
                   sources: Mapping[SettingPath, str], label: str | None) -> list[str]:
    known = [*tree.settings, *(p for p, _ in tree.tables if p)]
    holders = {p for p, cls in tree.tables if holds_sections(cls)}
    lines = []
    for path, reason in _problems(exc, at):
        dotted = ".".join(path)
        if reason is not None:
            lines.append(f"{dotted} (from {sources.get(path, label)}): {reason}")
            continue
        # Suggest a name of the same table: the shared prefix would make any look close.
        siblings = {p[-1]: p for p in known if p[:-1] == path[:-1]}
        close = difflib.get_close_matches(path[-1], sorted(siblings), n=1)
        if close:
            hint = f" (did you mean {'.'.join(siblings[close[0]])!r}?)"
        elif path[:-1] in holders:
            hint = (" (no installed plugin adds this table: `daggo plugins` lists what is "
                    "installed)")
        else:
            hint = ""
        lines.append(f"{label}: unknown setting {dotted!r}{hint}")
    return lines
