"""The conversation drawer's writes over JSON: send a message, tags (the clinic's catalogue and a
thread's), assignment, internal notes. Threads are addressed by id (never the phone number);
another tenant's id is a 404; a refusal is a 400 `{"detail", "field"}` and changes nothing.

The thread list and a thread's messages are served by the inbox's router (threads.py).
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from clinicrm.api.v1.common import ip_of, require_roles, tenant_of
from clinicrm.api.v1.schemas import ErrorOut, StrictIn
from clinicrm.core.models import CLINIC_ROLES
from clinicrm.core.tenancy import tenant_get_or_404
from clinicrm.crm import selectors, services
from clinicrm.crm.models import Assignment, Note, Tag, TagColor, ThreadTag
from clinicrm.messaging.models import Thread
from clinicrm.messaging.services import message_send

router = Router(tags=["conversas (CRM)"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def _thread(request: HttpRequest, thread_id: int) -> Thread:
    thread: Thread = tenant_get_or_404(Thread, tenant=tenant_of(request), pk=thread_id)
    return thread


# --- send --------------------------------------------------------------------------------------


class SendIn(StrictIn):
    text: str = Field(..., max_length=4096, description="Texto da mensagem.")
    confirmed: bool = Field(
        False,
        description="Enviar mesmo assim quando uma verificação pede confirmação "
        "(ex.: o número pediu para não receber mensagens).",
    )


class SentOut(Schema):
    id: int
    thread_id: int
    status: str
    status_label: str
    created_at: dt.datetime


@router.post("/threads/{thread_id}/send", response={201: SentOut, **ERRORS}, summary="Enviar")
def thread_send(request: HttpRequest, thread_id: int, payload: SendIn) -> Status[dict[str, Any]]:
    thread = _thread(request, thread_id)
    message = message_send(
        tenant=tenant_of(request),
        actor=request.user,  # type: ignore[arg-type]  # the token's member
        thread_key=thread.thread_key,
        text=payload.text,
        confirmed=payload.confirmed,
        ip=ip_of(request),
    )
    return Status(
        201,
        {
            "id": message.pk,
            "thread_id": thread.pk,
            "status": message.status,
            "status_label": message.status_label,
            "created_at": message.created_at,
        },
    )


# --- tags --------------------------------------------------------------------------------------


class TagOut(Schema):
    id: int
    name: str
    color: str
    system: bool = Field(..., alias="is_system")


class TagIn(StrictIn):
    name: str = Field(..., max_length=100)
    color: str = Field(TagColor.TEAL, max_length=20, description=", ".join(TagColor.values))


class TagPatch(StrictIn):
    name: str | None = Field(None, max_length=100)
    color: str | None = Field(None, max_length=20)


class ThreadTagIn(StrictIn):
    tag_id: int


@router.get("/tags", response={200: list[TagOut], **ERRORS}, summary="Etiquetas da clínica")
def tags_list(request: HttpRequest) -> list[Tag]:
    return selectors.tags_of_tenant(tenant=tenant_of(request))


@router.post("/tags", response={201: TagOut, **ERRORS}, summary="Criar etiqueta")
def tag_create(request: HttpRequest, payload: TagIn) -> Status[Tag]:
    require_roles(request, CLINIC_ROLES)
    tag = services.tag_create(
        tenant=tenant_of(request),
        actor=request.user,
        name=payload.name,
        color=payload.color,
        ip=ip_of(request),
    )
    return Status(201, tag)


@router.patch("/tags/{tag_id}", response={200: TagOut, **ERRORS}, summary="Alterar etiqueta")
def tag_update(request: HttpRequest, tag_id: int, payload: TagPatch) -> Tag:
    tag = tenant_get_or_404(Tag, tenant=tenant_of(request), pk=tag_id)
    require_roles(request, CLINIC_ROLES)
    return services.tag_update(
        tag=tag, actor=request.user, name=payload.name, color=payload.color, ip=ip_of(request)
    )


@router.delete("/tags/{tag_id}", response={204: None, **ERRORS}, summary="Remover etiqueta")
def tag_delete(request: HttpRequest, tag_id: int) -> Status[None]:
    tag = tenant_get_or_404(Tag, tenant=tenant_of(request), pk=tag_id)
    require_roles(request, CLINIC_ROLES)
    services.tag_delete(tag=tag, actor=request.user, ip=ip_of(request))
    return Status(204, None)


def _thread_tags(thread: Thread) -> list[Tag]:
    ids = ThreadTag.objects.filter(tenant_id=thread.tenant_id, thread=thread).values("tag_id")
    return list(Tag.objects.filter(tenant_id=thread.tenant_id, pk__in=ids))


@router.get(
    "/threads/{thread_id}/tags", response={200: list[TagOut], **ERRORS}, summary="Etiquetas"
)
def thread_tags(request: HttpRequest, thread_id: int) -> list[Tag]:
    return _thread_tags(_thread(request, thread_id))


@router.post(
    "/threads/{thread_id}/tags",
    response={200: list[TagOut], **ERRORS},
    summary="Pôr etiqueta na conversa",
)
def thread_tag_add(request: HttpRequest, thread_id: int, payload: ThreadTagIn) -> list[Tag]:
    thread = _thread(request, thread_id)
    services.thread_tag_add(
        tenant=tenant_of(request),
        thread=thread,
        tag_id=payload.tag_id,
        actor=request.user,
        ip=ip_of(request),
    )
    return _thread_tags(thread)


@router.delete(
    "/threads/{thread_id}/tags/{tag_id}",
    response={200: list[TagOut], **ERRORS},
    summary="Tirar etiqueta da conversa",
)
def thread_tag_remove(request: HttpRequest, thread_id: int, tag_id: int) -> list[Tag]:
    thread = _thread(request, thread_id)
    tag = tenant_get_or_404(Tag, tenant=tenant_of(request), pk=tag_id)
    services.thread_tag_remove(
        tenant=tenant_of(request), thread=thread, tag_id=tag.pk, actor=request.user
    )
    return _thread_tags(thread)


# --- assignment --------------------------------------------------------------------------------


class AssignmentOut(Schema):
    thread_id: int
    assigned_to: str | None = Field(None, description="Id (UUID) do membro responsável.")
    assigned_to_name: str | None = None
    assigned_at: dt.datetime | None = None


class AssignmentIn(StrictIn):
    assigned_to: str | None = Field(
        ..., max_length=64, description="Id do membro; null para deixar sem responsável."
    )
    expected: str | None = Field(
        None,
        max_length=64,
        description='Responsável que o cliente viu ("" = nenhum). Se mudou nesse meio tempo, '
        "nada é alterado e a resposta é 400. Omitido: sem verificação.",
    )


def _assignment_out(thread: Thread) -> dict[str, Any]:
    row = (
        Assignment.objects.filter(tenant_id=thread.tenant_id, thread=thread)
        .select_related("assigned_to")
        .first()
    )
    user = row.assigned_to if row else None
    return {
        "thread_id": thread.pk,
        "assigned_to": str(user.pk) if user else None,
        "assigned_to_name": (user.get_full_name() or user.email) if user else None,
        "assigned_at": row.assigned_at if row and user else None,
    }


@router.get(
    "/threads/{thread_id}/assignment",
    response={200: AssignmentOut, **ERRORS},
    summary="Responsável",
)
def thread_assignment(request: HttpRequest, thread_id: int) -> dict[str, Any]:
    return _assignment_out(_thread(request, thread_id))


@router.put(
    "/threads/{thread_id}/assignment",
    response={200: AssignmentOut, **ERRORS},
    summary="Atribuir",
)
def thread_assignment_set(
    request: HttpRequest, thread_id: int, payload: AssignmentIn
) -> dict[str, Any]:
    thread = _thread(request, thread_id)
    services.assignment_set(
        tenant=tenant_of(request),
        thread=thread,
        assignee_id=payload.assigned_to or None,
        actor=request.user,
        expected=payload.expected,
        ip=ip_of(request),
    )
    return _assignment_out(thread)


# --- notes -------------------------------------------------------------------------------------


class NoteOut(Schema):
    id: int
    body: str
    author_id: str | None
    author_name: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    edited: bool


class NoteIn(StrictIn):
    body: str = Field(..., max_length=10000)


def _note_out(note: Note) -> dict[str, Any]:
    author = note.author
    return {
        "id": note.pk,
        "body": note.body,
        "author_id": str(author.pk) if author else None,
        "author_name": (author.get_full_name() or author.email) if author else None,
        "created_at": note.created_at,
        "updated_at": note.updated_at,
        "edited": note.edited,
    }


def _note(request: HttpRequest, thread: Thread, note_id: int) -> Note:
    note: Note = tenant_get_or_404(
        Note.objects.select_related("author", "tenant"),
        tenant=tenant_of(request),
        thread=thread,
        pk=note_id,
    )
    return note


@router.get("/threads/{thread_id}/notes", response={200: list[NoteOut], **ERRORS}, summary="Notas")
def thread_notes(request: HttpRequest, thread_id: int) -> list[dict[str, Any]]:
    thread = _thread(request, thread_id)
    return [_note_out(n) for n in selectors.notes_of_thread(thread=thread)]


@router.post(
    "/threads/{thread_id}/notes", response={201: NoteOut, **ERRORS}, summary="Escrever nota"
)
def note_create(request: HttpRequest, thread_id: int, payload: NoteIn) -> Status[dict[str, Any]]:
    note = services.note_create(
        tenant=tenant_of(request),
        thread=_thread(request, thread_id),
        author=request.user,  # type: ignore[arg-type]
        body=payload.body,
        ip=ip_of(request),
    )
    return Status(201, _note_out(note))


@router.patch(
    "/threads/{thread_id}/notes/{note_id}",
    response={200: NoteOut, **ERRORS},
    summary="Editar nota (só quem escreveu)",
)
def note_update(
    request: HttpRequest, thread_id: int, note_id: int, payload: NoteIn
) -> dict[str, Any]:
    note = _note(request, _thread(request, thread_id), note_id)
    note = services.note_update(
        note=note,
        actor=request.user,  # type: ignore[arg-type]
        body=payload.body,
        ip=ip_of(request),
    )
    return _note_out(note)


@router.delete(
    "/threads/{thread_id}/notes/{note_id}",
    response={204: None, **ERRORS},
    summary="Remover nota (só quem escreveu)",
)
def note_delete(request: HttpRequest, thread_id: int, note_id: int) -> Status[None]:
    note = _note(request, _thread(request, thread_id), note_id)
    services.note_delete(note=note, actor=request.user, ip=ip_of(request))  # type: ignore[arg-type]
    return Status(204, None)
