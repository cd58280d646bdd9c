from enum import StrEnum


class ErrorInfoSourceType0(StrEnum):
    INFRASTRUCTURE = "infrastructure"
    STARTUP = "startup"
    USER = "user"

    def __str__(self) -> str:
        return str(self.value)
