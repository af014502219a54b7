"""The dates a person can ask for: one range for every page, form and API parameter.

Python's dates run from year 1 to 9999, but a day view adds a day, a week view goes back to
Monday and a period is turned into São Paulo midnights stored as UTC: at either end of that
range the arithmetic overflows and the request would answer 500. Every date that comes from a
request is checked against `DATE_MIN`..`DATE_MAX` first, and a date outside it is a 400 with a
pt-BR reason:
- page views: `date_param()` raises `BadParameter`, which `BadParameterMiddleware` (and
  `handler400`) turn into a 400 page (or JSON under /api/);
- forms: `BoundedDateField`;
- the API: `ApiDate` (api/v1/common.py) in the schemas.
"""

import datetime as dt

from django import forms
from django.core.exceptions import BadRequest
from django.core.validators import MaxValueValidator, MinValueValidator

DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2099, 12, 31)
DATE_OUT_OF_RANGE = "Data fora do intervalo permitido (de 01/01/1900 a 31/12/2099)."


class BadParameter(BadRequest):
    """A query parameter a person (or a hand-edited URL) got wrong: `message` is pt-BR."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def date_in_range(value: dt.date) -> bool:
    return DATE_MIN <= value <= DATE_MAX


def date_param(raw: str | None, *, field: str) -> dt.date | None:
    """`raw` (AAAA-MM-DD) as a date. None when absent or not a date at all (the pages then show
    their default day, as they always did); BadParameter for a real date outside the range."""
    if not raw:
        return None
    try:
        value = dt.date.fromisoformat(raw)
    except ValueError:
        return None
    if not date_in_range(value):
        raise BadParameter(DATE_OUT_OF_RANGE, field=field)
    return value


class BoundedDateField(forms.DateField):
    """A form's date within DATE_MIN..DATE_MAX (the form shows the pt-BR reason)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.validators += [
            MinValueValidator(DATE_MIN, message=DATE_OUT_OF_RANGE),
            MaxValueValidator(DATE_MAX, message=DATE_OUT_OF_RANGE),
        ]
