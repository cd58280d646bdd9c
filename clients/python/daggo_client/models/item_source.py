from enum import StrEnum


class ItemSource(StrEnum):
    API = "api"
    LOADER = "loader"
    ROUTE = "route"

    def __str__(self) -> str:
        return str(self.value)
