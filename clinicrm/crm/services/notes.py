"""Internal notes on a thread. Never sent to the patient; only the author edits or deletes.

The author check lives here (views and the API only translate the refusal), and the UPDATE /
DELETE are filtered by author too, so a stale object cannot slip past it.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant, User
from clinicrm.core.services import audit_log_record
from clinicrm.crm.models import Note
from clinicrm.crm.services.common import thread_check_tenant
from clinicrm.crm.services.events import NOTES, crm_event_emit
from clinicrm.messaging.models import Thread

BODY_MAX = 5000
MSG_NOT_AUTHOR = "Só quem escreveu a nota pode alterá-la ou removê-la."


def _clean_body(body: Any) -> str:
    text = str(body or "").strip()
    if not text:
        raise ApplicationError("Escreva a nota antes de salvar.", field="body")
    if len(text) > BODY_MAX:
        raise ApplicationError(f"A nota pode ter no máximo {BODY_MAX} caracteres.", field="body")
    return text


def _audit(action: str, note: Note, actor: User, ip: str | None) -> None:
    audit_log_record(
        action=action,
        user=actor,
        tenant=note.tenant,
        obj=note,
        ip=ip,
        details={"thread": note.thread_id},
    )


@transaction.atomic
def note_create(
    *, tenant: Tenant, thread: Thread, author: User, body: str, ip: str | None = None
) -> Note:
    thread_check_tenant(tenant=tenant, thread=thread)
    note = Note.objects.create(tenant=tenant, thread=thread, author=author, body=_clean_body(body))
    _audit("conversation_note.create", note, author, ip)
    crm_event_emit(tenant=tenant, thread_id=thread.pk, what=NOTES)
    return note


def _check_author(note: Note, actor: User) -> None:
    if note.author_id is None or note.author_id != actor.pk:
        raise ApplicationError(MSG_NOT_AUTHOR, field="note")


@transaction.atomic
def note_update(*, note: Note, actor: User, body: str, ip: str | None = None) -> Note:
    _check_author(note, actor)
    text = _clean_body(body)
    if text == note.body:
        return note
    now = timezone.now()
    updated = Note.objects.filter(pk=note.pk, author=actor).update(
        body=text, edited=True, updated_at=now
    )
    if not updated:
        raise ApplicationError(MSG_NOT_AUTHOR, field="note")
    note.body, note.edited, note.updated_at = text, True, now
    _audit("conversation_note.update", note, actor, ip)
    crm_event_emit(tenant=note.tenant, thread_id=note.thread_id, what=NOTES)
    return note


@transaction.atomic
def note_delete(*, note: Note, actor: User, ip: str | None = None) -> None:
    _check_author(note, actor)
    deleted, _ = Note.objects.filter(pk=note.pk, author=actor).delete()
    if not deleted:
        raise ApplicationError(MSG_NOT_AUTHOR, field="note")
    _audit("conversation_note.delete", note, actor, ip)
    crm_event_emit(tenant=note.tenant, thread_id=note.thread_id, what=NOTES)
