"""Assignment of a thread to a member: upsert of the (tenant, thread) row, audited, notified.

The client says which assignee it saw (`expected`); if someone changed the assignment meanwhile
the write is refused with a message naming the current assignee and nothing changes, so two
people clicking "Assumir" at once never silently take the thread from each other. The row is
created (unassigned) first and then locked, so the check and the write see the same row on
PostgreSQL; on SQLite the IMMEDIATE transaction serialises writers.
"""

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Membership, Tenant, User
from clinicrm.core.notifications import notification_send
from clinicrm.core.services import audit_log_record
from clinicrm.crm.models import Assignment
from clinicrm.crm.services.common import actor_user, thread_check_tenant
from clinicrm.crm.services.events import ASSIGNMENT, crm_event_emit
from clinicrm.messaging.models import Thread

UNASSIGNED = ""  # what `expected` says when the client saw no assignee
MSG_NOT_MEMBER = "Escolha um membro ativo desta clínica."


def member_display_name(user: User | None) -> str:
    if user is None:
        return "ninguém"
    return user.get_full_name() or user.email


def _active_member(*, tenant: Tenant, user_id: Any) -> User:
    membership = (
        Membership.objects.select_related("user")
        .filter(tenant=tenant, user_id=user_id, is_active=True, user__is_active=True)
        .first()
    )
    if membership is None:
        raise ApplicationError(MSG_NOT_MEMBER, field="assigned_to")
    return membership.user


def _locked_row(*, tenant: Tenant, thread: Thread) -> Assignment:
    Assignment.objects.bulk_create(
        [Assignment(tenant=tenant, thread=thread)], ignore_conflicts=True
    )
    return (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("assigned_to")
        .get(tenant=tenant, thread=thread)
    )


def _notify(*, tenant: Tenant, thread: Thread, assignee: User, actor: Any) -> None:
    """The assignee's bell. No patient name or number: the link opens the conversation."""
    who = member_display_name(actor_user(actor)) if actor_user(actor) else "O sistema"
    notification_send(
        tenant=tenant,
        user_ids=[assignee.pk],
        kind="conversation.assigned",
        title="Conversa atribuída a você",
        body=f"{who} atribuiu uma conversa a você.",
        url=f"{reverse('crm:inbox')}?conversa={thread.pk}",
    )


@transaction.atomic
def assignment_set(
    *,
    tenant: Tenant,
    thread: Thread,
    assignee_id: Any,
    actor: Any,
    expected: str | None = None,
    ip: str | None = None,
) -> Assignment:
    """Assign `thread` to the member `assignee_id` (None or "" unassigns).

    `expected`: the assignee's user id as the client last saw it (`UNASSIGNED` for none); None
    skips the check (API clients that do not care).
    """
    thread_check_tenant(tenant=tenant, thread=thread)
    assignee = _active_member(tenant=tenant, user_id=assignee_id) if assignee_id else None
    row = _locked_row(tenant=tenant, thread=thread)
    current = str(row.assigned_to_id) if row.assigned_to_id else UNASSIGNED
    if expected is not None and expected != current:
        raise ApplicationError(
            "A atribuição desta conversa mudou enquanto você a via: agora está com "
            f"{member_display_name(row.assigned_to)}. Nada foi alterado; confira e tente de novo.",
            field="assigned_to",
            extra={"current": current},
        )
    new = str(assignee.pk) if assignee else UNASSIGNED
    if new == current:
        return row
    row.assigned_to = assignee
    row.assigned_at = timezone.now() if assignee else None
    row.assigned_by = actor_user(actor)
    row.save(update_fields=["assigned_to", "assigned_at", "assigned_by", "updated_at"])
    audit_log_record(
        action="conversation.assign" if assignee else "conversation.unassign",
        user=actor,
        tenant=tenant,
        object_type="thread",
        object_id=str(thread.pk),
        ip=ip,
        details={"from": current or None, "to": new or None},
    )
    if assignee is not None and assignee != actor_user(actor):
        _notify(tenant=tenant, thread=thread, assignee=assignee, actor=actor)
    crm_event_emit(tenant=tenant, thread_id=thread.pk, what=ASSIGNMENT)
    return row


def assignment_take(
    *, tenant: Tenant, thread: Thread, actor: User, expected: str | None, ip: str | None = None
) -> Assignment:
    """ "Assumir": the actor takes the thread (refused if it changed since they looked)."""
    return assignment_set(
        tenant=tenant, thread=thread, assignee_id=actor.pk, actor=actor, expected=expected, ip=ip
    )
