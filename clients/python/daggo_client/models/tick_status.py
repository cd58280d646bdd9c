from enum import StrEnum


class TickStatus(StrEnum):
    BUFFERED = "BUFFERED"
    FAILED = "FAILED"
    LAUNCHED = "LAUNCHED"
    PAUSED = "PAUSED"
    SKIPPED = "SKIPPED"

    def __str__(self) -> str:
        return str(self.value)
