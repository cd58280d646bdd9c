"""Dynamic partitions: the keys of a `DynamicPartitions` set, added and removed at
runtime (through the API, or by a queue whose items' partition keys feed the set)."""

from __future__ import annotations

from attrs import frozen

from daggo_core.definitions.names import name_problem
from daggo_core.definitions.partitions import partition_key_problem
from daggo_core.errors import InvalidArgumentError
from daggo_core.services.context import ServiceContext
from daggo_core.services.cursors import decode_cursor, encode_cursor
from daggo_core.services.paging import check_limit, page_limit

__all__ = [
    "DynamicPartitionsAddRequest",
    "DynamicPartitionsAddResponse",
    "DynamicPartitionsDeleteRequest",
    "DynamicPartitionsDeleteResponse",
    "DynamicPartitionsGetManyRequest",
    "DynamicPartitionsGetManyResponse",
    "DynamicPartitionsService",
]

#: Page sizes of a set's keys, and the most keys one request may add or delete.
KEYS_PAGE, KEYS_PAGE_MAX = 500, 10_000
KEYS_PER_CHANGE = 10_000


@frozen(kw_only=True)
class DynamicPartitionsAddRequest:
    """Add `keys` to the set `name` (those it holds already are left as they are)."""

    name: str
    keys: tuple[str, ...]


@frozen(kw_only=True)
class DynamicPartitionsAddResponse:
    added: tuple[str, ...]


@frozen(kw_only=True)
class DynamicPartitionsDeleteRequest:
    """Remove `keys` from the set `name`; the history of their partitions stays."""

    name: str
    keys: tuple[str, ...]


@frozen(kw_only=True)
class DynamicPartitionsDeleteResponse:
    deleted: int


@frozen(kw_only=True)
class DynamicPartitionsGetManyRequest:
    """The keys of the set `name`, in the order they were added."""

    name: str
    limit: int = page_limit(KEYS_PAGE, KEYS_PAGE_MAX)
    cursor: str | None = None


@frozen(kw_only=True)
class DynamicPartitionsGetManyResponse:
    keys: tuple[str, ...]
    total: int
    next_cursor: str | None


class DynamicPartitionsService:
    """The keys of every dynamic partition set."""

    def __init__(self, context: ServiceContext) -> None:
        self.storage = context.storage

    def add(self, request: DynamicPartitionsAddRequest) -> DynamicPartitionsAddResponse:
        """Add keys to a set; each key is checked first, and none is added if one is bad."""
        _checked(request.name, request.keys)
        return DynamicPartitionsAddResponse(
            added=tuple(self.storage.add_dynamic_partitions(request.name, request.keys)))

    def delete(self, request: DynamicPartitionsDeleteRequest
               ) -> DynamicPartitionsDeleteResponse:
        """Remove keys from a set."""
        _checked(request.name, request.keys)
        return DynamicPartitionsDeleteResponse(
            deleted=self.storage.delete_dynamic_partitions(request.name, request.keys))

    def get_many(self, request: DynamicPartitionsGetManyRequest
                 ) -> DynamicPartitionsGetManyResponse:
        """A page of the set's keys, in the order added."""
        limit = check_limit(request)
        bad = name_problem("dynamic partitions", request.name)
        if bad:
            raise InvalidArgumentError(bad)
        keys = self.storage.list_dynamic_partitions(request.name)
        start = 0
        if request.cursor is not None:
            (start,) = decode_cursor("dynamic_partitions", request.cursor, 1)
            if type(start) is not int or start < 0:
                raise InvalidArgumentError("cursor: not a cursor of this list")
        page = keys[start:start + limit]
        next_cursor = (encode_cursor("dynamic_partitions", start + limit)
                       if start + limit < len(keys) else None)
        return DynamicPartitionsGetManyResponse(keys=tuple(page), total=len(keys),
                                                next_cursor=next_cursor)


def _checked(name: str, keys: tuple[str, ...]) -> None:
    bad = name_problem("dynamic partitions", name)
    if bad:
        raise InvalidArgumentError(bad)
    if len(keys) > KEYS_PER_CHANGE:
        raise InvalidArgumentError(f"keys: at most {KEYS_PER_CHANGE} per request, got "
                                   f"{len(keys)}")
    problems = [p for p in map(partition_key_problem, keys) if p]
    if problems:
        raise InvalidArgumentError("keys: " + "; ".join(problems[:5]))
