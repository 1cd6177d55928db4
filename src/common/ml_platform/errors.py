"""Errors a user can act on. Entry points print them without a traceback."""


class MLPlatformError(Exception):
    """Base class: the message says what was wrong, where, and how to fix it."""


class SpecError(MLPlatformError):
    """A feature group spec file is invalid."""


class ConfigError(MLPlatformError):
    """A setting (environment variable, flag, file) is missing or invalid."""


class RecordValidationError(MLPlatformError):
    """Input records do not match a feature group spec; nothing was written."""

    def __init__(self, message: str, problems: list["RecordProblem"]):
        super().__init__(message)
        self.problems = problems


class FeatureStoreError(MLPlatformError):
    """The feature store (local files, SageMaker APIs, S3) failed an operation."""


class RecordProblem:
    """One problem found in one row (1-based) and column of an input file."""

    __slots__ = ("column", "message", "row")

    def __init__(self, row: int | None, column: str | None, message: str):
        self.row = row
        self.column = column
        self.message = message

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def __repr__(self) -> str:
        return f"RecordProblem({self.row!r}, {self.column!r}, {self.message!r})"
