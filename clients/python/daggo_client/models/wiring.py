from enum import StrEnum


class Wiring(StrEnum):
    MANY = "many"
    ONE = "one"
    OPTIONAL = "optional"

    def __str__(self) -> str:
        return str(self.value)
