from enum import StrEnum


class Overlap(StrEnum):
    ALLOW = "allow"
    BUFFER_ALL = "buffer_all"
    BUFFER_ONE = "buffer_one"
    CANCEL_RUNNING = "cancel_running"
    SKIP = "skip"

    def __str__(self) -> str:
        return str(self.value)
