from enum import StrEnum


class BackfillStatus(StrEnum):
    CANCELED = "CANCELED"
    CANCELING = "CANCELING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    REQUESTED = "REQUESTED"
    RUNNING = "RUNNING"

    def __str__(self) -> str:
        return str(self.value)
