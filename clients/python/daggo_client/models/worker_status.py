from enum import StrEnum


class WorkerStatus(StrEnum):
    IDLE = "IDLE"
    LOST = "LOST"
    RUNNING = "RUNNING"
    STARTING = "STARTING"

    def __str__(self) -> str:
        return str(self.value)
