from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.system_config_response_config import SystemConfigResponseConfig


T = TypeVar("T", bound="SystemConfigResponse")


@_attrs_define
class SystemConfigResponse:
    """The configuration in effect, as nested tables, with every secret that is set
    shown as "********".

        Attributes:
            config (SystemConfigResponseConfig):
    """

    config: SystemConfigResponseConfig

    def to_dict(self) -> dict[str, Any]:
        config = self.config.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "config": config,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.system_config_response_config import SystemConfigResponseConfig  # noqa: PLC0415

        d = dict(src_dict)
        config = SystemConfigResponseConfig.from_dict(d.pop("config"))

        system_config_response = cls(
            config=config,
        )

        return system_config_response
