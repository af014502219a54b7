"""Errors raised by services; views turn them into pt-BR messages or 400 responses."""

from typing import Any


class ApplicationError(Exception):
    """A business rule refused the operation. `message` is pt-BR and safe to show."""

    def __init__(self, message: str, *, field: str | None = None, extra: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}
