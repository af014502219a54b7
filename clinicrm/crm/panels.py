"""The CRM's panels in the conversation drawer (messaging/panels.py): patient link, assignment,
tags and internal notes. Each panel's context comes from here, whether the drawer renders it or
the panel's own view answers a form (crm/views.py) or a realtime refresh."""

from typing import Any

from django.http import HttpRequest

from clinicrm.crm import selectors
from clinicrm.crm.models import Assignment, ThreadTag
from clinicrm.messaging.models import Thread
from clinicrm.messaging.panels import BODY, HEAD, ConversationPanel, conversation_panel_register

PATIENT, ASSIGNMENT, TAGS, NOTES = "patient", "assignment", "tags", "notes"
TEMPLATES = {
    PATIENT: "crm/_patient.html",
    ASSIGNMENT: "crm/_assignment.html",
    TAGS: "crm/_tags.html",
    NOTES: "crm/_notes.html",
}


def patient_context(*, request: HttpRequest, thread: Thread) -> dict[str, Any]:
    return {"contact_name": thread.contact_name}


def assignment_context(*, request: HttpRequest, thread: Thread) -> dict[str, Any]:
    row = (
        Assignment.objects.filter(tenant_id=thread.tenant_id, thread=thread)
        .select_related("assigned_to")
        .first()
    )
    assignee = row.assigned_to if row and row.assigned_to_id else None
    return {
        "assignee": assignee,
        "assigned_at": row.assigned_at if assignee and row else None,
        "assignee_id": str(assignee.pk) if assignee else "",
        "is_me": assignee is not None and assignee.pk == request.user.pk,
        "members": selectors.members_assignable(tenant=request.tenant),  # type: ignore[attr-defined]
    }


def tags_context(*, request: HttpRequest, thread: Thread) -> dict[str, Any]:
    on = set(
        ThreadTag.objects.filter(tenant_id=thread.tenant_id, thread=thread).values_list(
            "tag_id", flat=True
        )
    )
    catalogue = selectors.tags_of_tenant(tenant=request.tenant)  # type: ignore[attr-defined]
    return {
        "thread_tags": [t for t in catalogue if t.pk in on],
        "tag_choices": [(t, t.pk in on) for t in catalogue],
    }


def notes_context(*, request: HttpRequest, thread: Thread) -> dict[str, Any]:
    return {
        "notes": selectors.notes_of_thread(thread=thread),
        "note_total": selectors.note_count(thread=thread),
    }


CONTEXTS = {
    PATIENT: patient_context,
    ASSIGNMENT: assignment_context,
    TAGS: tags_context,
    NOTES: notes_context,
}


def crm_panels_register() -> None:
    for order, (code, slot) in enumerate(
        ((PATIENT, HEAD), (ASSIGNMENT, HEAD), (TAGS, HEAD), (NOTES, BODY)), start=1
    ):
        conversation_panel_register(
            ConversationPanel(
                code=f"crm.{code}",
                slot=slot,
                template=TEMPLATES[code],
                context=CONTEXTS[code],
                order=order * 10,
            )
        )
