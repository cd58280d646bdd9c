from enum import StrEnum


class QueueItemStatus(StrEnum):
    CANCELED = "CANCELED"
    DEDUPLICATED = "DEDUPLICATED"
    FAILED = "FAILED"
    PARTIALLY_FAILED = "PARTIALLY_FAILED"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"

    def __str__(self) -> str:
        return str(self.value)
