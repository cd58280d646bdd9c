from enum import StrEnum


class RunTrigger(StrEnum):
    AUTOMATION = "automation"
    BACKFILL = "backfill"
    MANUAL = "manual"
    QUEUE = "queue"
    REEXECUTION = "reexecution"
    RETRY = "retry"
    SCHEDULE = "schedule"

    def __str__(self) -> str:
        return str(self.value)
