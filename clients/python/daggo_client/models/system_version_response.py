from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="SystemVersionResponse")


@_attrs_define
class SystemVersionResponse:
    """
    Attributes:
        version (str):
        python (str):
        storage (str):
        executor (str):
    """

    version: str
    python: str
    storage: str
    executor: str

    def to_dict(self) -> dict[str, Any]:
        version = self.version

        python = self.python

        storage = self.storage

        executor = self.executor

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "version": version,
                "python": python,
                "storage": storage,
                "executor": executor,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        version = d.pop("version")

        python = d.pop("python")

        storage = d.pop("storage")

        executor = d.pop("executor")

        system_version_response = cls(
            version=version,
            python=python,
            storage=storage,
            executor=executor,
        )

        return system_version_response
