from enum import StrEnum


class PartitionStatus(StrEnum):
    FAILED = "failed"
    IN_PROGRESS = "in_progress"
    MATERIALIZED = "materialized"
    MISSING = "missing"

    def __str__(self) -> str:
        return str(self.value)
