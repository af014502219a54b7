"""What a thread looks like in a list, a Kanban card or the API: the thread row plus its CRM
data, fetched for a whole page at once (three small queries keyed by the page's ids, whatever
the page size: no N+1)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from clinicrm.crm.models import Assignment, Tag, ThreadStatus, ThreadTag, stage_effective
from clinicrm.messaging.models import Thread
from clinicrm.messaging.services.outbox import WINDOW
from clinicrm.people.phones import phone_format_display

# Thread columns a row needs (the list never loads more than this).
ROW_FIELDS = (
    "id",
    "tenant_id",
    "thread_key",
    "contact_name",
    "patient_id",
    "patient__full_name",
    "last_message_at",
    "last_message_preview",
    "last_direction",
    "unread_count",
    "last_inbound_at",
)


@dataclass
class ThreadRow:
    thread: Thread
    assignee_id: str = ""  # user id as text, "" when not assigned
    assignee_name: str = ""
    assigned_at: dt.datetime | None = None
    tags: list[Tag] = field(default_factory=list)
    stage: str = "open"

    @property
    def pk(self) -> int:
        return int(self.thread.pk)

    @property
    def display_name(self) -> str:
        return thread_display_name(self.thread)

    @property
    def number_display(self) -> str:
        return thread_number_display(self.thread)

    def window_open(self, now: dt.datetime | None = None) -> bool:
        inbound = self.thread.last_inbound_at
        return inbound is not None and (now or timezone.now()) < inbound + WINDOW


def thread_number_display(thread: Thread) -> str:
    key = thread.thread_key
    return phone_format_display(key) if key.startswith("+") else "Número oculto pelo WhatsApp"


def thread_display_name(thread: Thread) -> str:
    """The patient's record name when linked, else the WhatsApp name, else the number."""
    patient = thread.patient if thread.patient_id else None
    if patient is not None:
        return str(patient.full_name)
    return thread.contact_name or thread_number_display(thread)


def _short_name(user: Any) -> str:
    return user.first_name or user.get_full_name() or user.email.split("@")[0]


def thread_rows(threads: Iterable[Thread]) -> list[ThreadRow]:
    """Rows for `threads` (of one tenant) with their assignee, tags and Kanban stage."""
    rows = [ThreadRow(thread=t) for t in threads]
    if not rows:
        return rows
    by_id = {row.pk: row for row in rows}
    ids = list(by_id)
    assignments = (
        Assignment.objects.filter(thread_id__in=ids, assigned_to__isnull=False)
        .select_related("assigned_to")
        .only(
            "thread_id",
            "assigned_at",
            "assigned_to__first_name",
            "assigned_to__last_name",
            "assigned_to__email",
        )
    )
    for a in assignments:
        row = by_id[a.thread_id]
        row.assignee_id = str(a.assigned_to_id)
        row.assignee_name = _short_name(a.assigned_to)
        row.assigned_at = a.assigned_at
    tags: dict[int, list[Tag]] = defaultdict(list)
    links = ThreadTag.objects.filter(thread_id__in=ids).select_related("tag")
    for link in sorted(links, key=lambda x: (x.tag.sort_order, x.tag.name)):
        tags[link.thread_id].append(link.tag)
    for pk, row in by_id.items():
        row.tags = tags.get(pk, [])
    for st in ThreadStatus.objects.filter(thread_id__in=ids).only(
        "thread_id", "status", "changed_at"
    ):
        row = by_id[st.thread_id]
        row.stage = stage_effective(
            status=st.status, changed_at=st.changed_at, last_inbound_at=row.thread.last_inbound_at
        )
    return rows


def thread_row_queryset(qs: Any) -> Any:
    return qs.select_related("patient").only(*ROW_FIELDS)
