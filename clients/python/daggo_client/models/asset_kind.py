from enum import StrEnum


class AssetKind(StrEnum):
    ASSET = "asset"
    EXTERNAL = "external"
    OP = "op"

    def __str__(self) -> str:
        return str(self.value)
