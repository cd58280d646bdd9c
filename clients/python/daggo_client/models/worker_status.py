from enum import StrEnum


class WorkerStatus(StrEnum):
    DRAINED = "DRAINED"
    DRAINING = "DRAINING"
    IDLE = "IDLE"
    LOST = "LOST"
    RUNNING = "RUNNING"
    STARTING = "STARTING"

    def __str__(self) -> str:
        return str(self.value)
