from enum import StrEnum


class AssetEventKind(StrEnum):
    MATERIALIZATION = "materialization"
    OBSERVATION = "observation"

    def __str__(self) -> str:
        return str(self.value)
