"""RPC errors: each daggo error has a stable code and an HTTP status."""

from __future__ import annotations

import logging
import uuid

from attrs import frozen

from daggo_core.errors import (
    DaggoError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    StorageError,
)

__all__ = ["ERROR_CODES", "ErrorCode", "RpcError", "error_of_code", "rpc_error",
           "unauthenticated"]

logger = logging.getLogger("daggo.rpc")


@frozen
class RpcError:
    """What a failed call answers: `{"error": {"code": ..., "message": ...}}`."""

    status: int
    code: str
    message: str

    def body(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


@frozen
class ErrorCode:
    """A stable error code, the HTTP status it answers with, and when."""

    code: str
    status: int
    when: str


#: Every code a call may fail with, by code (docs/RPC.md lists them too).
ERROR_CODES = {error.code: error for error in (
    ErrorCode("malformed_json", 400, "the body is not JSON"),
    ErrorCode("invalid_argument", 400, "the body is not the request message (the message "
              "names each wrong field by its path, e.g. $.limit), or a value is out of range"),
    ErrorCode("unauthenticated", 401, "the server asks for credentials (the bearer token "
              "admin.secret_key) and the request has no valid ones"),
    ErrorCode("unknown_method", 404, "no such method (the message lists them)"),
    ErrorCode("body_timeout", 408, "the request body did not arrive in full within the "
              "server's body timeout"),
    ErrorCode("not_found", 404, "the run, job, schedule, queue or queue item named does not "
              "exist"),
    ErrorCode("failed_precondition", 409, "the request cannot apply now (e.g. re-executing "
              "a run that has not finished)"),
    ErrorCode("internal", 500, "an unexpected error: the message gives an error id, which "
              "the server log has with the traceback"),
    ErrorCode("unavailable", 503, "the database could not be reached"),
)}

#: Error classes by the code and status they answer, most specific first; read both ways
#: (an error raised to its answer here, an answer back to its error by the RPC client).
#: A StorageError answers `unavailable` only when transient (the database unreachable or
#: busy); any other is a fault of the server's, answered `internal`.
_BY_CLASS: tuple[tuple[type[DaggoError], str], ...] = (
    (NotFoundError, "not_found"),
    (InvalidArgumentError, "invalid_argument"),
    (FailedPreconditionError, "failed_precondition"),
    (StorageError, "unavailable"),
)


def unauthenticated(message: str) -> RpcError:
    """The answer to a request without valid credentials (status 401)."""
    return RpcError(status=ERROR_CODES["unauthenticated"].status, code="unauthenticated",
                    message=message)


def rpc_error(method: str, exc: BaseException) -> RpcError:
    """The answer to `exc` raised by `method`; an unexpected one is logged with an id the
    answer gives, never its traceback."""
    for kind, code in _BY_CLASS:
        if isinstance(exc, kind) and not (isinstance(exc, StorageError) and not exc.transient):
            return RpcError(status=ERROR_CODES[code].status, code=code, message=str(exc))
    error_id = uuid.uuid4().hex[:12]
    logger.error("RPC %s failed (error id %s)", method, error_id, exc_info=exc)
    return RpcError(status=ERROR_CODES["internal"].status, code="internal",
                    message=f"internal error {error_id}; the server log has its details")


def error_of_code(code: str, message: str) -> DaggoError | None:
    """The daggo error a service raised to answer `code` with `message` (the first class
    of the table with that code), or None for a code no service error answers."""
    for kind, known in _BY_CLASS:
        if known == code:
            if kind is StorageError:
                return StorageError(message, transient=True)
            return kind(message)
    return None
