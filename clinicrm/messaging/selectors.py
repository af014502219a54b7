"""Reads of messaging: thread lists, timelines, the SSE event feed."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet, Sum

from clinicrm.core.models import Tenant
from clinicrm.messaging.models import Channel, Message, RealtimeEvent, Thread

THREADS_PER_PAGE = 30
TIMELINE_LIMIT = 200
EVENTS_PER_TICK = 200


def thread_list(*, tenant: Tenant, search: str = "") -> QuerySet[Thread]:
    qs = Thread.objects.filter(tenant=tenant).select_related("patient")
    term = search.strip()
    if term:
        digits = "".join(ch for ch in term if ch.isdigit())
        cond = Q(contact_name__icontains=term) | Q(patient__full_name__icontains=term)
        if len(digits) >= 4:
            cond |= Q(thread_key__contains=digits)
        qs = qs.filter(cond)
    return qs.order_by("-last_message_at", "-id")


def thread_page(*, tenant: Tenant, search: str = "", page: Any = 1) -> Page:
    return Paginator(thread_list(tenant=tenant, search=search), THREADS_PER_PAGE).get_page(page)


def thread_timeline(*, thread: Thread, limit: int = TIMELINE_LIMIT) -> list[Message]:
    """The latest `limit` messages of a thread, oldest first, in the provider's time order."""
    rows = list(
        Message.objects.filter(tenant_id=thread.tenant_id, thread_key=thread.thread_key)
        .select_related("sent_by")
        .order_by("-provider_timestamp", "-id")[:limit]
    )
    rows.reverse()
    return rows


def channel_active_get(*, tenant: Tenant) -> Channel | None:
    return Channel.objects.filter(tenant=tenant, is_active=True).first()


def channel_get_by_webhook_token(*, token: str) -> Channel | None:
    """The channel a provider webhook URL points at (token compared by the DB's unique index)."""
    if not token or len(token) > 64:
        return None
    return Channel.objects.select_related("tenant").filter(webhook_token=token).first()


def realtime_events_after(
    *, tenant_id: Any, after_id: int, limit: int = EVENTS_PER_TICK
) -> list[tuple[int, str, dict[str, Any]]]:
    """Events of a tenant newer than `after_id` (one small indexed query)."""
    return list(
        RealtimeEvent.objects.filter(tenant_id=tenant_id, id__gt=after_id)
        .order_by("id")
        .values_list("id", "kind", "payload")[:limit]
    )


def realtime_last_id(*, tenant_id: Any) -> int:
    last = (
        RealtimeEvent.objects.filter(tenant_id=tenant_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return last or 0


def unread_total(*, tenant: Tenant) -> int:
    total = Thread.objects.filter(tenant=tenant, unread_count__gt=0).aggregate(
        n=Sum("unread_count")
    )["n"]
    return int(total or 0)
