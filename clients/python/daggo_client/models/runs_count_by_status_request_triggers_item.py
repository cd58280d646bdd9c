from enum import StrEnum


class RunsCountByStatusRequestTriggersItem(StrEnum):
    MANUAL = "manual"
    REEXECUTION = "reexecution"
    RETRY = "retry"
    SCHEDULE = "schedule"

    def __str__(self) -> str:
        return str(self.value)
