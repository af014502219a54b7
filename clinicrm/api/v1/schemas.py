"""Shared schemas of the v1 API."""

from ninja import Schema


class ErrorOut(Schema):
    detail: str
    field: str | None = None


class StrictIn(Schema):
    """Input bodies reject unknown keys, so a typo is a 400 naming it, not a silent no-op."""

    model_config = {"extra": "forbid"}
