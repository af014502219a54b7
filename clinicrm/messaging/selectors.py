"""Reads of messaging: thread lists, timelines, searches, the SSE event feed.

Searches compare the folded `search_text` columns (`core.search`): accent- and case-insensitive,
every word of the query a literal substring. Message text is only searched for words of at least
MESSAGE_TERM_MIN characters: the trigram index cannot narrow shorter ones, and a scan of every
message of a clinic is what the index is there to avoid.
"""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet, Sum

from clinicrm.core.models import Tenant
from clinicrm.core.search import search_digits, search_q, search_terms
from clinicrm.messaging.models import Channel, Message, RealtimeEvent, Thread
from clinicrm.people.models import Patient

THREADS_PER_PAGE = 30
TIMELINE_LIMIT = 200
EVENTS_PER_TICK = 200
MESSAGE_TERM_MIN = 3
NUMBER_DIGITS_MIN = 4


def _message_terms(terms: list[str]) -> bool:
    return any(len(term) >= MESSAGE_TERM_MIN for term in terms)


def messages_matching(*, tenant: Tenant, query: str) -> QuerySet[Message]:
    """Messages of `tenant` whose text contains every word of `query` (unordered; none when no
    word is long enough to search message text)."""
    terms = search_terms(query)
    if not _message_terms(terms):
        return Message.objects.none()
    return Message.objects.filter(search_q(terms), tenant=tenant)


def thread_search_filter(*, tenant: Tenant, qs: QuerySet[Thread], query: str) -> QuerySet[Thread]:
    """`qs` (threads of `tenant`) narrowed to those matching `query`: the contact's or the
    linked patient's name, the number (a phone-shaped query of 4+ digits), or the text of any
    of the thread's messages. Accent- and case-insensitive, `%`/`_` literal; an empty query
    leaves `qs` as it is, a query of invisible characters matches nothing. Ordering, filters and
    pagination stay the caller's."""
    if not query.strip():
        return qs
    terms = search_terms(query)
    if not terms:
        return qs.none()
    # Sub-selects rather than a join: each is served by its own trigram index and probed as a
    # hash while the caller's ordered scan of threads runs.
    patients = Patient.objects.filter(search_q(terms), tenant=tenant).values("pk")
    condition = search_q(terms) | Q(patient_id__in=patients)
    digits = search_digits(query)
    if len(digits) >= NUMBER_DIGITS_MIN:
        condition |= Q(search_text__contains=digits)
    if _message_terms(terms):
        keys = messages_matching(tenant=tenant, query=query).values("thread_key")
        condition |= Q(thread_key__in=keys)
    return qs.filter(condition)


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
