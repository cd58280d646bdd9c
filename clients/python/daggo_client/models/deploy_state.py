from enum import StrEnum


class DeployState(StrEnum):
    ACTIVE = "ACTIVE"
    DRAINING = "DRAINING"

    def __str__(self) -> str:
        return str(self.value)
