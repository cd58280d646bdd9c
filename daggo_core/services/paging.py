"""Page sizes of list requests: one declaration per list, read by the service that
checks a request's `limit` and by the API's description that shows it."""

from __future__ import annotations

from typing import Any

import attrs
from attrs import frozen

from daggo_core.errors import InvalidArgumentError

__all__ = ["PAGE_SIZE", "PageSize", "check_limit", "page_limit", "page_size"]

#: The metadata key of a `limit` field's PageSize.
PAGE_SIZE = "daggo.page_size"


@frozen
class PageSize:
    """How many items a page has when a request does not say (`default`), and the most
    one request may ask for (`maximum`)."""

    default: int
    maximum: int


def page_limit(default: int, maximum: int) -> Any:
    """The `limit` field of a list request: `default` unless given, 1 to `maximum`."""
    return attrs.field(default=default, metadata={PAGE_SIZE: PageSize(default, maximum)})


def page_size(field: attrs.Attribute[Any]) -> PageSize | None:
    """The page size a field declares (a `page_limit` field), else None."""
    size = field.metadata.get(PAGE_SIZE)
    return size if isinstance(size, PageSize) else None


def check_limit(request: Any) -> int:
    """The `limit` of list request `request` if it is within its page size, else
    InvalidArgumentError naming the range."""
    size = page_size(attrs.fields_dict(type(request))["limit"])
    assert size is not None, f"{type(request).__name__}.limit is not a page_limit field"
    limit = request.limit
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= size.maximum:
        raise InvalidArgumentError(
            f"limit: must be an integer from 1 to {size.maximum}, got {limit!r}")
    return limit
