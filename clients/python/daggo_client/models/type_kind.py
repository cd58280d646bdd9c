from enum import StrEnum


class TypeKind(StrEnum):
    ANY = "any"
    BOOL = "bool"
    BYTES = "bytes"
    CHOICE = "choice"
    CLASS = "class"
    DATE = "date"
    DATETIME = "datetime"
    DICT = "dict"
    FLOAT = "float"
    INT = "int"
    LIST = "list"
    NONE = "none"
    STR = "str"
    TUPLE = "tuple"
    UNION = "union"

    def __str__(self) -> str:
        return str(self.value)
