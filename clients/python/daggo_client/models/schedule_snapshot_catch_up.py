from enum import StrEnum


class ScheduleSnapshotCatchUp(StrEnum):
    ALL = "all"
    LATEST = "latest"

    def __str__(self) -> str:
        return str(self.value)
