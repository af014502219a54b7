"""People live in São Paulo time; the database stores UTC."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def local_now() -> dt.datetime:
    return timezone.now().astimezone(SAO_PAULO)


def local_today() -> dt.date:
    return local_now().date()


def local_datetime(day: dt.date, time: dt.time) -> dt.datetime:
    """An aware datetime for a wall-clock time in São Paulo."""
    return dt.datetime.combine(day, time, tzinfo=SAO_PAULO)


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """First day of `day`'s month and first day of the next month."""
    first = day.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt
