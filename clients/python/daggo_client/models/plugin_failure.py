from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PluginFailure")


@_attrs_define
class PluginFailure:
    """A plugin whose entry point could not be imported.

    Attributes:
        name (str):
        distribution (str):
        version (str):
        error (str):
        traceback (str | Unset):
    """

    name: str
    distribution: str
    version: str
    error: str
    traceback: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        distribution = self.distribution

        version = self.version

        error = self.error

        traceback = self.traceback

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "distribution": distribution,
                "version": version,
                "error": error,
            }
        )
        if traceback is not UNSET:
            field_dict["traceback"] = traceback

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        distribution = d.pop("distribution")

        version = d.pop("version")

        error = d.pop("error")

        traceback = d.pop("traceback", UNSET)

        plugin_failure = cls(
            name=name,
            distribution=distribution,
            version=version,
            error=error,
            traceback=traceback,
        )

        return plugin_failure
