from enum import StrEnum


class TickInfoStatus(StrEnum):
    BUFFERED = "BUFFERED"
    FAILED = "FAILED"
    LAUNCHED = "LAUNCHED"
    PAUSED = "PAUSED"
    SKIPPED = "SKIPPED"

    def __str__(self) -> str:
        return str(self.value)
