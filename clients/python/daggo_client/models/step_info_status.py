from enum import StrEnum


class StepInfoStatus(StrEnum):
    CANCELED = "CANCELED"
    FAILURE = "FAILURE"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SKIPPED = "SKIPPED"
    SUCCESS = "SUCCESS"

    def __str__(self) -> str:
        return str(self.value)
