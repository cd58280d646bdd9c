from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.error_source import ErrorSource
from ..types import UNSET, Unset

T = TypeVar("T", bound="ErrorInfo")


@_attrs_define
class ErrorInfo:
    """An error that failed a step or a run: its type, message and formatted traceback;
    `source` says whose fault it is where daggo knows, `hint` what to do about it.

        Attributes:
            type_ (str):
            message (str):
            traceback (str | Unset):  Default: ''.
            source (ErrorSource | None | Unset):
            hint (str | Unset):  Default: ''.
    """

    type_: str
    message: str
    traceback: str | Unset = ""
    source: ErrorSource | None | Unset = UNSET
    hint: str | Unset = ""

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        message = self.message

        traceback = self.traceback

        source: None | str | Unset
        if isinstance(self.source, Unset):
            source = UNSET
        elif isinstance(self.source, ErrorSource):
            source = self.source.value
        else:
            source = self.source

        hint = self.hint

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
                "message": message,
            }
        )
        if traceback is not UNSET:
            field_dict["traceback"] = traceback
        if source is not UNSET:
            field_dict["source"] = source
        if hint is not UNSET:
            field_dict["hint"] = hint

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        type_ = d.pop("type")

        message = d.pop("message")

        traceback = d.pop("traceback", UNSET)

        def _parse_source(data: object) -> ErrorSource | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                source_type_0 = ErrorSource(data)

                return source_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ErrorSource | None | Unset, data)

        source = _parse_source(d.pop("source", UNSET))

        hint = d.pop("hint", UNSET)

        error_info = cls(
            type_=type_,
            message=message,
            traceback=traceback,
            source=source,
            hint=hint,
        )

        return error_info
