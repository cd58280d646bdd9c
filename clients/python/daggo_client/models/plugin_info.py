from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="PluginInfo")


@_attrs_define
class PluginInfo:
    """A loaded plugin: its entry-point name, distribution and implemented hooks.

    Attributes:
        name (str):
        distribution (str):
        version (str):
        hooks (list[str]):
    """

    name: str
    distribution: str
    version: str
    hooks: list[str]

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        distribution = self.distribution

        version = self.version

        hooks = self.hooks

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "distribution": distribution,
                "version": version,
                "hooks": hooks,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        distribution = d.pop("distribution")

        version = d.pop("version")

        hooks = cast(list[str], d.pop("hooks"))

        plugin_info = cls(
            name=name,
            distribution=distribution,
            version=version,
            hooks=hooks,
        )

        return plugin_info
