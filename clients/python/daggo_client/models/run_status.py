from enum import StrEnum


class RunStatus(StrEnum):
    CANCELED = "CANCELED"
    FAILURE = "FAILURE"
    QUEUED = "QUEUED"
    STARTED = "STARTED"
    STARTING = "STARTING"
    SUCCESS = "SUCCESS"

    def __str__(self) -> str:
        return str(self.value)
