from enum import StrEnum


class RunsCountByStatusRequestStatusesItem(StrEnum):
    CANCELED = "CANCELED"
    FAILURE = "FAILURE"
    QUEUED = "QUEUED"
    STARTED = "STARTED"
    STARTING = "STARTING"
    SUCCESS = "SUCCESS"

    def __str__(self) -> str:
        return str(self.value)
