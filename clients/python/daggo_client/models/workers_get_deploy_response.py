from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.deploy_status import DeployStatus


T = TypeVar("T", bound="WorkersGetDeployResponse")


@_attrs_define
class WorkersGetDeployResponse:
    """The lock (None: no server announced a deploy on it), with this server's own
    `deploy` settings: whether it drains and its version.

        Attributes:
            deploy (DeployStatus | None):
            drain_enabled (bool):
            version (str):
    """

    deploy: DeployStatus | None
    drain_enabled: bool
    version: str

    def to_dict(self) -> dict[str, Any]:
        from ..models.deploy_status import DeployStatus  # noqa: PLC0415

        deploy: dict[str, Any] | None
        if isinstance(self.deploy, DeployStatus):
            deploy = self.deploy.to_dict()
        else:
            deploy = self.deploy

        drain_enabled = self.drain_enabled

        version = self.version

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "deploy": deploy,
                "drain_enabled": drain_enabled,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.deploy_status import DeployStatus  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_deploy(data: object) -> DeployStatus | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                deploy_type_0 = DeployStatus.from_dict(data)

                return deploy_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DeployStatus | None, data)

        deploy = _parse_deploy(d.pop("deploy"))

        drain_enabled = d.pop("drain_enabled")

        version = d.pop("version")

        workers_get_deploy_response = cls(
            deploy=deploy,
            drain_enabled=drain_enabled,
            version=version,
        )

        return workers_get_deploy_response
