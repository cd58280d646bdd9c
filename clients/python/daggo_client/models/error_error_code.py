from enum import StrEnum


class ErrorErrorCode(StrEnum):
    BODY_TIMEOUT = "body_timeout"
    FAILED_PRECONDITION = "failed_precondition"
    INTERNAL = "internal"
    INVALID_ARGUMENT = "invalid_argument"
    MALFORMED_JSON = "malformed_json"
    NOT_FOUND = "not_found"
    UNAUTHENTICATED = "unauthenticated"
    UNAVAILABLE = "unavailable"
    UNKNOWN_METHOD = "unknown_method"

    def __str__(self) -> str:
        return str(self.value)
