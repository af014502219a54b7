"""Template helpers of the inbox and the Kanban."""

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone

from clinicrm.crm.selectors import Cursor

register = template.Library()


@register.filter
def inbox_when(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """When a thread last moved, as a list shows it (São Paulo time): the time today, "ontem",
    the day this year, the day with its year before that."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    today = timezone.localtime(now or timezone.now()).date()
    day = local.date()
    if day == today:
        return local.strftime("%H:%M")
    if day == today - dt.timedelta(days=1):
        return "ontem"
    if day.year == today.year:
        return local.strftime("%d/%m")
    return local.strftime("%d/%m/%Y")


@register.filter
def inbox_when_full(value: dt.datetime | None) -> str:
    """The exact moment, for the title/datetime of the short label."""
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


@register.filter
def sort_key(row: Any) -> str:
    """The row's keyset position (the same encoding as the cursor): the page's script keeps
    rows that arrive live in the order of the dates shown."""
    at = row.thread.last_message_at
    return Cursor(at=at, thread_id=row.pk).encode() if at else f"0.{row.pk}"


@register.filter
def window_left(row: Any, now: dt.datetime) -> str:
    """The Twilio 24-hour window of a row: "" when closed, else the time left ("5 h")."""
    if not row.window_open(now):
        return ""
    from clinicrm.messaging.services.outbox import WINDOW

    left = row.thread.last_inbound_at + WINDOW - now
    hours = int(left.total_seconds() // 3600)
    return f"{hours} h" if hours else f"{max(1, int(left.total_seconds() // 60))} min"
