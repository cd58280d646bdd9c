from enum import StrEnum


class RunsCountRequestTriggersItem(StrEnum):
    MANUAL = "manual"
    REEXECUTION = "reexecution"
    RETRY = "retry"
    SCHEDULE = "schedule"

    def __str__(self) -> str:
        return str(self.value)
