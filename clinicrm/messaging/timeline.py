"""Reads of one conversation's timeline, by keyset around what is on screen.

The drawer opens on the newest page, loads older pages as the reader scrolls up (`before`) and
appends what arrived while it is open (`after`). Each page is ready to render: stored media have
a signed URL, quoted replies their quoted message, and the first message of each São Paulo day
carries the day's label (the browser drops a separator repeated across two pages).
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import formats, timezone

from clinicrm.core.timeutils import local_today
from clinicrm.messaging.models import MediaStatus, Message, Thread
from clinicrm.messaging.signing import media_signed_url

TIMELINE_PAGE = 50
TIMELINE_NEWER_MAX = 200
ID_DIGITS_MAX = 18


@dataclass(frozen=True)
class Timeline:
    messages: list[Message]
    has_older: bool

    @property
    def first_id(self) -> int | None:
        return self.messages[0].pk if self.messages else None

    @property
    def last_id(self) -> int | None:
        return self.messages[-1].pk if self.messages else None


def _message_id(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) <= ID_DIGITS_MAX else None


def _thread_messages(thread: Thread) -> QuerySet[Message]:
    return Message.objects.filter(tenant_id=thread.tenant_id, thread_key=thread.thread_key)


def _position(thread: Thread, message_id: Any) -> tuple[dt.datetime, int] | None:
    pk = _message_id(message_id)
    if pk is None:
        return None
    row = _thread_messages(thread).filter(pk=pk).values_list("provider_timestamp", "id").first()
    return (row[0], row[1]) if row else None


def day_label(day: dt.date, *, today: dt.date | None = None) -> str:
    """ "Hoje", "Ontem", else the date (with the year when it is not this year)."""
    today = today or local_today()
    if day == today:
        return "Hoje"
    if day == today - dt.timedelta(days=1):
        return "Ontem"
    pattern = "l, j \\d\\e F" if day.year == today.year else "j \\d\\e F \\d\\e Y"
    label = str(formats.date_format(day, pattern)).lower()  # pt-BR: "domingo, 29 de novembro"
    return label[:1].upper() + label[1:]


def timeline_decorate(*, tenant_id: Any, rows: list[Message]) -> list[Message]:
    """Signed media URLs, quoted messages and day labels on `rows` (one tenant's, oldest
    first), as the bubbles show them."""
    ids = {m.quoted_provider_id for m in rows if m.quoted_provider_id}
    quoted: dict[str, Message] = {}
    if ids:
        found = Message.objects.filter(tenant_id=tenant_id, provider_message_id__in=ids).only(
            "id", "provider_message_id", "body", "kind", "direction"
        )
        quoted = {str(m.provider_message_id): m for m in found}
    today = local_today()
    previous: dt.date | None = None
    for row in rows:
        extra: Any = row
        if row.media_status == MediaStatus.STORED:
            extra.media_url = media_signed_url(message=row)
        extra.quoted = quoted.get(row.quoted_provider_id or "")
        day = timezone.localtime(row.provider_timestamp).date()
        extra.day = day
        extra.day_label = day_label(day, today=today) if day != previous else ""
        previous = day
    return rows


def timeline_latest(*, thread: Thread, before: Any = None, limit: int = TIMELINE_PAGE) -> Timeline:
    """The newest `limit` messages (or those just before message `before`), oldest first."""
    qs = _thread_messages(thread).select_related("sent_by")
    if before is not None:
        pos = _position(thread, before)
        if pos is None:
            return Timeline(messages=[], has_older=False)
        at, pk = pos
        qs = qs.filter(Q(provider_timestamp__lt=at) | Q(provider_timestamp=at, id__lt=pk))
    rows = list(qs.order_by("-provider_timestamp", "-id")[: limit + 1])
    has_older = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    return Timeline(
        messages=timeline_decorate(tenant_id=thread.tenant_id, rows=rows), has_older=has_older
    )


def timeline_newer(*, thread: Thread, after: Any) -> Timeline:
    """Messages after message `after` (what arrived while the drawer was open), oldest first."""
    pos = _position(thread, after)
    if pos is None:
        return timeline_latest(thread=thread)
    at, pk = pos
    rows = list(
        _thread_messages(thread)
        .select_related("sent_by")
        .filter(Q(provider_timestamp__gt=at) | Q(provider_timestamp=at, id__gt=pk))
        .order_by("provider_timestamp", "id")[:TIMELINE_NEWER_MAX]
    )
    return Timeline(
        messages=timeline_decorate(tenant_id=thread.tenant_id, rows=rows), has_older=False
    )


def timeline_message(*, thread: Thread, message_id: Any) -> Message | None:
    pk = _message_id(message_id)
    if pk is None:
        return None
    row = _thread_messages(thread).select_related("sent_by").filter(pk=pk).first()
    if row is None:
        return None
    timeline_decorate(tenant_id=thread.tenant_id, rows=[row])
    row.day_label = ""  # type: ignore[attr-defined]  # replaced in place: no separator
    return row
