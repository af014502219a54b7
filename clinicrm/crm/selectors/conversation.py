"""What the conversation drawer shows: the timeline (by keyset, around what is on screen), the
CRM data of the thread, and the choices its controls offer."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from clinicrm.core.models import Membership, Tenant
from clinicrm.crm.models import Note, Tag
from clinicrm.crm.services.tags import tag_system_ensure
from clinicrm.messaging.models import Message, Thread

TIMELINE_PAGE = 50
TIMELINE_NEWER_MAX = 200
NOTES_MAX = 50


@dataclass(frozen=True)
class Timeline:
    messages: list[Message]
    has_older: bool
    quoted: dict[str, Message] = field(default_factory=dict)


def _position(thread: Thread, message_id: Any) -> tuple[dt.datetime, int] | None:
    if not str(message_id).isdigit() or len(str(message_id)) > 18:
        return None
    row = (
        Message.objects.filter(
            tenant_id=thread.tenant_id, thread_key=thread.thread_key, pk=int(message_id)
        )
        .values_list("provider_timestamp", "id")
        .first()
    )
    return (row[0], row[1]) if row else None


def _thread_messages(thread: Thread) -> Any:
    return Message.objects.filter(tenant_id=thread.tenant_id, thread_key=thread.thread_key)


def _quoted(thread: Thread, messages: list[Message]) -> dict[str, Message]:
    ids = {m.quoted_provider_id for m in messages if m.quoted_provider_id}
    if not ids:
        return {}
    rows = (
        _thread_messages(thread)
        .filter(provider_message_id__in=ids)
        .only("provider_message_id", "body", "kind", "direction")
    )
    return {str(m.provider_message_id): m for m in rows}


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
    return Timeline(messages=rows, has_older=has_older, quoted=_quoted(thread, rows))


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
    return Timeline(messages=rows, has_older=False, quoted=_quoted(thread, rows))


def timeline_message(*, thread: Thread, message_id: Any) -> Message | None:
    if not str(message_id).isdigit() or len(str(message_id)) > 18:
        return None
    return _thread_messages(thread).select_related("sent_by").filter(pk=int(message_id)).first()


def tags_of_tenant(*, tenant: Tenant) -> list[Tag]:
    tag_system_ensure(tenant=tenant)
    return list(Tag.objects.filter(tenant=tenant).order_by("sort_order", "name", "id"))


def notes_of_thread(*, thread: Thread, limit: int = NOTES_MAX) -> list[Note]:
    return list(
        Note.objects.filter(tenant_id=thread.tenant_id, thread=thread)
        .select_related("author")
        .order_by("-created_at", "-id")[:limit]
    )


def note_count(*, thread: Thread) -> int:
    return Note.objects.filter(tenant_id=thread.tenant_id, thread=thread).count()


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    role: str


def members_assignable(*, tenant: Tenant) -> list[Member]:
    """Active members of the tenant (the assignment select), by name."""
    rows = (
        Membership.objects.filter(tenant=tenant, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )
    return [
        Member(
            user_id=str(m.user_id),
            name=m.user.get_full_name() or m.user.email,
            role=m.get_role_display(),
        )
        for m in rows
    ]
