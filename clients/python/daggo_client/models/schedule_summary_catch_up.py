from enum import StrEnum


class ScheduleSummaryCatchUp(StrEnum):
    ALL = "all"
    LATEST = "latest"

    def __str__(self) -> str:
        return str(self.value)
