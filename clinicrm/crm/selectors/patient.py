"""The patient record's "Conversas" tab: every conversation linked to the patient (one per
WhatsApp number), its figures and a page of messages (newest page first, keyset on the id
order of `provider_timestamp`). Counts use the timeline index (tenant, thread_key, time)."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Min, Q

from clinicrm.messaging.models import Direction, Message, Thread
from clinicrm.messaging.timeline import timeline_decorate
from clinicrm.people.models import Patient

PAGE = 50


@dataclass
class PatientConversations:
    threads: list[Thread]
    total: int = 0
    received: int = 0
    sent: int = 0
    first_at: Any = None
    last_at: Any = None
    messages: list[Message] = field(default_factory=list)
    has_older: bool = False

    @property
    def first_id(self) -> int | None:
        return self.messages[0].pk if self.messages else None


def patient_conversations(
    *, patient: Patient, direction: str = "", before: Any = None, limit: int = PAGE
) -> PatientConversations:
    threads = list(
        Thread.objects.filter(tenant_id=patient.tenant_id, patient=patient).order_by(
            "-last_message_at", "-id"
        )
    )
    data = PatientConversations(threads=threads)
    if not threads:
        return data
    messages = Message.objects.filter(
        tenant_id=patient.tenant_id, thread_key__in=[t.thread_key for t in threads]
    )
    stats = messages.aggregate(
        total=Count("id"),
        received=Count("id", filter=Q(direction=Direction.INBOUND)),
        sent=Count("id", filter=Q(direction=Direction.OUTBOUND)),
        first_at=Min("provider_timestamp"),
        last_at=Max("provider_timestamp"),
    )
    data.total, data.received, data.sent = stats["total"], stats["received"], stats["sent"]
    data.first_at, data.last_at = stats["first_at"], stats["last_at"]
    if direction in Direction.values:
        messages = messages.filter(direction=direction)
    before_id = str(before or "")
    if before_id.isdigit() and len(before_id) <= 18:
        anchor = messages.filter(pk=int(before_id)).values_list("provider_timestamp", "id").first()
        if anchor:
            at, pk = anchor
            messages = messages.filter(
                Q(provider_timestamp__lt=at) | Q(provider_timestamp=at, id__lt=pk)
            )
    rows = list(
        messages.select_related("sent_by").order_by("-provider_timestamp", "-id")[: limit + 1]
    )
    data.has_older = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    data.messages = timeline_decorate(tenant_id=patient.tenant_id, rows=rows)
    return data
