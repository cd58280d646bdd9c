from enum import StrEnum


class CancelOutcome(StrEnum):
    ALREADY_FINISHED = "already_finished"
    CANCELED = "canceled"
    REQUESTED = "requested"

    def __str__(self) -> str:
        return str(self.value)
