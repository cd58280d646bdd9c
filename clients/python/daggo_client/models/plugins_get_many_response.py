from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.plugin_failure_info import PluginFailureInfo
    from ..models.plugin_info import PluginInfo


T = TypeVar("T", bound="PluginsGetManyResponse")


@_attrs_define
class PluginsGetManyResponse:
    """Registered plugins by name, and plugins whose entry point failed to import.

    Attributes:
        plugins (list[PluginInfo]):
        failures (list[PluginFailureInfo]):
    """

    plugins: list[PluginInfo]
    failures: list[PluginFailureInfo]

    def to_dict(self) -> dict[str, Any]:
        plugins = []
        for plugins_item_data in self.plugins:
            plugins_item = plugins_item_data.to_dict()
            plugins.append(plugins_item)

        failures = []
        for failures_item_data in self.failures:
            failures_item = failures_item_data.to_dict()
            failures.append(failures_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "plugins": plugins,
                "failures": failures,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.plugin_failure_info import PluginFailureInfo  # noqa: PLC0415
        from ..models.plugin_info import PluginInfo  # noqa: PLC0415

        d = dict(src_dict)
        plugins = []
        _plugins = d.pop("plugins")
        for plugins_item_data in _plugins:
            plugins_item = PluginInfo.from_dict(plugins_item_data)

            plugins.append(plugins_item)

        failures = []
        _failures = d.pop("failures")
        for failures_item_data in _failures:
            failures_item = PluginFailureInfo.from_dict(failures_item_data)

            failures.append(failures_item)

        plugins_get_many_response = cls(
            plugins=plugins,
            failures=failures,
        )

        return plugins_get_many_response
