from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="PluginFailureInfo")


@_attrs_define
class PluginFailureInfo:
    """A plugin whose entry point could not be imported, and the error (the traceback
    stays in the server's log and `daggo plugins --json`).

        Attributes:
            name (str):
            distribution (str):
            version (str):
            error (str):
    """

    name: str
    distribution: str
    version: str
    error: str

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        distribution = self.distribution

        version = self.version

        error = self.error

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "distribution": distribution,
                "version": version,
                "error": error,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        distribution = d.pop("distribution")

        version = d.pop("version")

        error = d.pop("error")

        plugin_failure_info = cls(
            name=name,
            distribution=distribution,
            version=version,
            error=error,
        )

        return plugin_failure_info
