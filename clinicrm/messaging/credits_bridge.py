"""What messaging does for the credits app, which sits below it and cannot ask directly
(both hooks are connected at start-up by `credits_bridge_connect`):

* the clinic's statement ("Extrato") shows, for a credit a message used, a link to its
  conversation, who it was with and why a refunded send failed (`statement_message_refs`);
* a change of credits or of a purchase becomes a realtime event of kind `credits` (ids only),
  so an open credits page or statement updates itself (`credits_changed_emit`).
"""

from typing import Any

from django.urls import reverse

from clinicrm.core.models import Tenant
from clinicrm.credits.signals import credits_changed
from clinicrm.credits.statement import MessageRef, statement_message_refs_register
from clinicrm.messaging.models import Message, MessageStatus, Thread
from clinicrm.messaging.services.realtime import realtime_event_emit
from clinicrm.people.phones import phone_format_display

KIND_CREDITS = "credits"


def statement_message_refs(tenant: Tenant, ids: list[int]) -> dict[int, MessageRef]:
    """Two queries for a page of rows: the messages, then their threads."""
    messages = list(
        Message.objects.filter(tenant=tenant, pk__in=ids).only(
            "id", "thread_key", "status", "error_message"
        )
    )
    threads = {
        t.thread_key: t
        for t in Thread.objects.filter(
            tenant=tenant, thread_key__in={m.thread_key for m in messages}
        ).select_related("patient")
    }
    refs = {}
    for message in messages:
        thread = threads.get(message.thread_key)
        if thread is not None and thread.patient is not None:
            name = thread.patient.full_name
        elif thread is not None and thread.contact_name:
            name = thread.contact_name
        else:
            name = phone_format_display(message.thread_key)
        failed = message.status == MessageStatus.FAILED
        refs[message.pk] = MessageRef(
            url=(
                reverse("messaging:thread", kwargs={"thread_id": thread.pk})
                if thread is not None
                else reverse("crm:inbox")
            ),
            label=f"Conversa com {name}",
            failure=message.error_message if failed else "",
        )
    return refs


def credits_changed_emit(
    sender: object, *, tenant: Tenant, purchase_id: object = None, **kwargs: Any
) -> None:
    realtime_event_emit(
        tenant=tenant,
        kind=KIND_CREDITS,
        payload={"purchase": str(purchase_id) if purchase_id else None},
    )


def credits_bridge_connect() -> None:
    statement_message_refs_register(statement_message_refs)
    credits_changed.connect(credits_changed_emit, dispatch_uid="messaging.credits_changed")
