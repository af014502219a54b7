"""The inbox and the Kanban: threads of a tenant, newest activity first, filtered, by keyset.

Lists read `conversation_threads` (messaging keeps its last message, unread count and times up
to date on every message) and never aggregate `conversation_messages`. Order is
(`last_message_at` DESC, `id` DESC) on the `threads_tenant_last_idx` index; the next page
starts strictly after the last row shown (`Cursor`), so pages stay fast however deep and a
thread that moves to the top while someone scrolls is not shown twice below. Filters are
EXISTS / NOT EXISTS on the CRM tables, each backed by an index starting with the thread or
the member.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from clinicrm.core.models import Tenant, User
from clinicrm.core.visibility import visibility_filter
from clinicrm.crm.models import Assignment, Stage, ThreadStatus, ThreadTag
from clinicrm.crm.selectors.filters import VIEW_MINE, VIEW_UNASSIGNED, Cursor, InboxFilters
from clinicrm.crm.selectors.rows import ThreadRow, thread_row_queryset, thread_rows
from clinicrm.messaging.models import Thread
from clinicrm.messaging.selectors import thread_search_filter

PAGE_SIZE = 30
PAGE_MAX = 100


@dataclass(frozen=True)
class ThreadPage:
    rows: list[ThreadRow]
    next_cursor: Cursor | None


def _assigned(user: User | None = None) -> Exists:
    rows = Assignment.objects.filter(thread=OuterRef("pk"), assigned_to__isnull=False)
    return Exists(rows.filter(assigned_to=user) if user is not None else rows)


def stage_condition(stage: str) -> Q:
    """Threads whose effective Kanban stage is `stage` (see models: a patient's new message
    reopens "aguardando" and "concluída")."""
    rows = ThreadStatus.objects.filter(thread=OuterRef("pk"))
    # A row that holds its thread in a non-open stage: in progress, or waiting/done decided
    # after the patient's last message.
    holding = rows.exclude(status=Stage.OPEN).filter(
        Q(status=Stage.IN_PROGRESS) | Q(changed_at__gte=OuterRef("last_inbound_at"))
    )
    never_wrote = Q(last_inbound_at__isnull=True)
    if stage == Stage.OPEN:
        return ~Q(Exists(holding)) & ~(never_wrote & Q(Exists(rows.exclude(status=Stage.OPEN))))
    this = rows.filter(status=stage)
    if stage == Stage.IN_PROGRESS:
        return Q(Exists(this))
    return Q(Exists(this.filter(changed_at__gte=OuterRef("last_inbound_at")))) | (
        never_wrote & Q(Exists(this))
    )


def threads_filtered(
    *, tenant: Tenant, user: User, filters: InboxFilters, extra: Q | None = None
) -> QuerySet[Thread]:
    qs: QuerySet[Thread] = visibility_filter(
        Thread.objects.filter(tenant=tenant, last_message_at__isnull=False)
    )
    if filters.view == VIEW_MINE:
        qs = qs.filter(_assigned(user))
    elif filters.view == VIEW_UNASSIGNED:
        qs = qs.exclude(_assigned())
    if filters.tag is not None:
        qs = qs.filter(Exists(ThreadTag.objects.filter(thread=OuterRef("pk"), tag_id=filters.tag)))
    if filters.unread:
        qs = qs.filter(unread_count__gt=0)
    if filters.q:
        # Names (record or WhatsApp), number digits and recent message text; accent- and
        # case-insensitive, every typed character literal (%, _, quotes, regex syntax).
        qs = thread_search_filter(tenant=tenant, qs=qs, query=filters.q)
    if extra is not None:
        qs = qs.filter(extra)
    return qs


def thread_page(
    *,
    tenant: Tenant,
    user: User,
    filters: InboxFilters,
    cursor: Cursor | None = None,
    limit: int = PAGE_SIZE,
    extra: Q | None = None,
) -> ThreadPage:
    """One page of the inbox (or of a Kanban column, with `extra`)."""
    limit = max(1, min(limit, PAGE_MAX))
    qs = threads_filtered(tenant=tenant, user=user, filters=filters, extra=extra)
    if cursor is not None:
        qs = qs.filter(
            Q(last_message_at__lt=cursor.at) | Q(last_message_at=cursor.at, id__lt=cursor.thread_id)
        )
    threads = list(thread_row_queryset(qs).order_by("-last_message_at", "-id")[: limit + 1])
    more = len(threads) > limit
    threads = threads[:limit]
    last = threads[-1] if threads else None
    next_cursor = (
        Cursor(at=last.last_message_at, thread_id=last.pk)
        if more and last is not None and last.last_message_at is not None
        else None
    )
    return ThreadPage(rows=thread_rows(threads), next_cursor=next_cursor)


def thread_row_get(*, thread: Thread) -> ThreadRow:
    """One thread as a row (after a change: the list swaps that row alone)."""
    fresh = thread_row_queryset(Thread.objects.filter(pk=thread.pk)).get()
    return thread_rows([fresh])[0]
