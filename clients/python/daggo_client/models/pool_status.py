from enum import StrEnum


class PoolStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DRAINED = "DRAINED"
    DRAINING = "DRAINING"
    LOST = "LOST"

    def __str__(self) -> str:
        return str(self.value)
