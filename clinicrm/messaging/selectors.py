"""Reads of messaging: thread lists, timelines, searches, the SSE event feed.

Searches compare the folded `search_text` columns (`core.search`): accent- and case-insensitive,
every word of the query literal. Message text is searched for the query's indexable words only
(3 letters or digits in a row): the trigram index cannot narrow shorter ones, and a scan of every
message of a clinic is what the index is there to avoid.
"""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet, Sum

from clinicrm.core.models import Tenant
from clinicrm.core.search import (
    search_digits,
    search_q,
    search_term_indexable,
    search_terms,
)
from clinicrm.messaging.models import Channel, Message, RealtimeEvent, Thread
from clinicrm.people.models import Patient

THREADS_PER_PAGE = 30
TIMELINE_LIMIT = 200
EVENTS_PER_TICK = 200
# Threads found by message text: those of the most recent matching messages (see below).
MESSAGE_MATCHES = 300
NUMBER_DIGITS_MIN = 4


def _message_terms(query: str) -> list[str]:
    return [term for term in search_terms(query) if search_term_indexable(term)]


def messages_matching(*, tenant: Tenant, query: str) -> QuerySet[Message]:
    """Messages of `tenant` whose text contains every indexable word of `query` (unordered;
    none when the query has no such word)."""
    terms = _message_terms(query)
    if not terms:
        return Message.objects.none()
    return Message.objects.filter(search_q(terms), tenant=tenant)


def thread_search_filter(
    *, tenant: Tenant, qs: QuerySet[Thread], query: str, message_text: bool = True
) -> QuerySet[Thread]:
    """`qs` (threads of `tenant`) narrowed to those matching `query`: the contact's or the
    linked patient's name, the number (a phone-shaped query of 4+ digits), or (`message_text`)
    the text of one of the MESSAGE_MATCHES most recent messages that contain it. Accent- and
    case-insensitive, `%`/`_` literal; an empty query leaves `qs` as it is, a query of invisible
    characters matches nothing. Ordering, filters and pagination stay the caller's.

    The candidates are a UNION of small index-served sets (thread names, patient names, numbers,
    recent matching messages), so the cost follows the matches, not the size of the inbox; the
    cap on messages keeps a frequent word ("sessão") from reading every message that has it.
    """
    if not query.strip():
        return qs
    terms = search_terms(query)
    if not terms:
        return qs.none()
    threads = Thread.objects.filter(tenant=tenant)
    patients = Patient.objects.filter(search_q(terms), tenant=tenant).values("pk")
    parts = [
        threads.filter(search_q(terms)).values("pk"),
        threads.filter(patient_id__in=patients).values("pk"),
    ]
    digits = search_digits(query)
    if len(digits) >= NUMBER_DIGITS_MIN:
        parts.append(threads.filter(search_text__contains=digits).values("pk"))
    if message_text and _message_terms(query):
        recent = messages_matching(tenant=tenant, query=query).order_by("-created_at", "-id")
        keys = recent.values("thread_key")[:MESSAGE_MATCHES]
        parts.append(threads.filter(thread_key__in=keys).values("pk"))
    return qs.filter(pk__in=parts[0].union(*parts[1:]))


def thread_list(*, tenant: Tenant, search: str = "") -> QuerySet[Thread]:
    qs: QuerySet[Thread] = Thread.objects.filter(tenant=tenant).select_related("patient")
    qs = thread_search_filter(tenant=tenant, qs=qs, query=search)
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


def unread_total(*, tenant: Tenant) -> int:
    total = Thread.objects.filter(tenant=tenant, unread_count__gt=0).aggregate(
        n=Sum("unread_count")
    )["n"]
    return int(total or 0)


def thread_unread_count(*, tenant: Tenant) -> int:
    """Conversations with unread inbound messages (the threads table, never the messages)."""
    return Thread.objects.filter(tenant=tenant, unread_count__gt=0).count()
