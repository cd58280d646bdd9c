from enum import StrEnum


class RunsCancelResponseOutcome(StrEnum):
    ALREADY_FINISHED = "already_finished"
    CANCELED = "canceled"
    REQUESTED = "requested"

    def __str__(self) -> str:
        return str(self.value)
