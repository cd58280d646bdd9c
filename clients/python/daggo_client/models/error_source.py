from enum import StrEnum


class ErrorSource(StrEnum):
    INFRASTRUCTURE = "infrastructure"
    STARTUP = "startup"
    USER = "user"

    def __str__(self) -> str:
        return str(self.value)
