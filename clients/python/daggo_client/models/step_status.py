from enum import StrEnum


class StepStatus(StrEnum):
    CANCELED = "CANCELED"
    FAILURE = "FAILURE"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SKIPPED = "SKIPPED"
    SUCCESS = "SUCCESS"

    def __str__(self) -> str:
        return str(self.value)
