"""/threads: the inbox over JSON (same filters and order as /conversas/) and a thread's messages.

Filters use the inbox's URL names: `vista` (todas, minhas, nao-atribuidas), `etiqueta` (tag id),
`nao-lidas` (1), `q` (name, number or message text; accent- and case-insensitive, every character
literal). Unlike the page, which falls back to "no filter", the API refuses a bad value with a 400
naming it. Pages are keyset: pass back `next_cursor` as `cursor`. Messages come newest page
first, oldest first inside a page; `before=<message id>` gives the page before it. Reading a
conversation's messages is audited, as opening it in the app is.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from clinicrm.api.v1.common import ip_of, tenant_of
from clinicrm.api.v1.schemas import ErrorOut
from clinicrm.core.errors import ApplicationError
from clinicrm.core.services import audit_log_record
from clinicrm.core.tenancy import tenant_get_or_404
from clinicrm.crm import selectors
from clinicrm.crm.selectors import Cursor, InboxFilters, ThreadRow
from clinicrm.crm.selectors.filters import SEARCH_MAX
from clinicrm.messaging.models import Thread
from clinicrm.messaging.selectors import channel_active_get
from clinicrm.messaging.timeline import TIMELINE_PAGE, timeline_latest

router = Router(tags=["conversas (CRM)"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
UNREAD_VALUES = {"": False, "0": False, "false": False, "1": True, "true": True}


class TagChip(Schema):
    id: int
    name: str
    color: str


class Assignee(Schema):
    id: str
    name: str
    assigned_at: dt.datetime | None


class ThreadOut(Schema):
    id: int
    name: str = Field(..., description="Paciente, nome no WhatsApp ou o número formatado.")
    number: str
    patient_id: int | None
    last_message_at: dt.datetime | None
    last_message_preview: str
    last_direction: str = Field(..., description="in (recebida) ou out (enviada).")
    unread_count: int
    assignee: Assignee | None
    tags: list[TagChip]
    stage: str
    window_open: bool | None = Field(
        ..., description="Janela de 24 h (só canal oficial/Twilio; null nos outros)."
    )
    url: str


class ThreadPageOut(Schema):
    items: list[ThreadOut]
    next_cursor: str | None


class MessageOut(Schema):
    id: int
    direction: str
    kind: str
    body: str
    status: str
    status_label: str
    at: dt.datetime = Field(..., description="Horário do provedor.")
    sent_by: str | None
    media_url: str | None = Field(None, description="Link assinado e temporário.")
    media_filename: str
    quoted_id: int | None


class MessagePageOut(Schema):
    items: list[MessageOut]
    has_older: bool


class ThreadParams(Schema):
    vista: str = Field("todas", description="todas, minhas ou nao-atribuidas")
    etiqueta: str = Field("", description="Id da etiqueta.")
    nao_lidas: str = Field("", alias="nao-lidas", description="1 para só as não lidas.")
    q: str = Field("", description="Nome, número ou trecho de mensagem.")
    cursor: str = ""
    limit: int = Field(30, ge=1, le=100)


def _filters(request: HttpRequest, params: ThreadParams) -> InboxFilters:
    if params.vista not in selectors.VIEWS:
        raise ApplicationError("Use vista=todas, minhas ou nao-atribuidas.", field="vista")
    tag: int | None = None
    if params.etiqueta:
        tags = {t.pk for t in selectors.tags_of_tenant(tenant=tenant_of(request))}
        raw = params.etiqueta
        tag = int(raw) if raw.isdigit() and len(raw) < 19 else None
        if tag not in tags:
            raise ApplicationError("Etiqueta não encontrada.", field="etiqueta")
    if params.nao_lidas.lower() not in UNREAD_VALUES:
        raise ApplicationError("Use nao-lidas=1 ou 0.", field="nao-lidas")
    if len(params.q) > SEARCH_MAX:
        raise ApplicationError(f"A busca aceita até {SEARCH_MAX} caracteres.", field="q")
    return InboxFilters(
        view=params.vista,
        tag=tag,
        unread=UNREAD_VALUES[params.nao_lidas.lower()],
        q=" ".join(params.q.split()),
    )


def _thread_out(row: ThreadRow, *, twilio: bool, now: dt.datetime) -> dict[str, Any]:
    t = row.thread
    return {
        "id": row.pk,
        "name": row.display_name,
        "number": row.number_display,
        "patient_id": t.patient_id,
        "last_message_at": t.last_message_at,
        "last_message_preview": t.last_message_preview,
        "last_direction": t.last_direction,
        "unread_count": t.unread_count,
        "assignee": (
            {"id": row.assignee_id, "name": row.assignee_name, "assigned_at": row.assigned_at}
            if row.assignee_id
            else None
        ),
        "tags": [{"id": g.pk, "name": g.name, "color": g.color} for g in row.tags],
        "stage": row.stage,
        "window_open": row.window_open(now) if twilio else None,
        "url": f"/conversas/{row.pk}/",
    }


@router.get(
    "/threads", response={200: ThreadPageOut, **ERRORS}, url_name="threads", summary="Conversas"
)
def threads_list(request: HttpRequest, params: Query[ThreadParams]) -> dict[str, Any]:
    from django.utils import timezone

    tenant = tenant_of(request)
    filters = _filters(request, params)
    page = selectors.thread_page(
        tenant=tenant,
        user=request.user,  # type: ignore[arg-type]  # the token's member
        filters=filters,
        cursor=Cursor.decode(params.cursor, strict=True),
        limit=params.limit,
    )
    channel = channel_active_get(tenant=tenant)
    twilio, now = bool(channel and channel.is_twilio), timezone.now()
    return {
        "items": [_thread_out(row, twilio=twilio, now=now) for row in page.rows],
        "next_cursor": page.next_cursor.encode() if page.next_cursor else None,
    }


class MessageParams(Schema):
    before: int | None = Field(None, description="Id de uma mensagem: a página antes dela.")
    limit: int = Field(TIMELINE_PAGE, ge=1, le=100)


@router.get(
    "/threads/{thread_id}/messages",
    response={200: MessagePageOut, **ERRORS},
    url_name="thread_messages",
    summary="Mensagens de uma conversa",
)
def thread_messages(
    request: HttpRequest, thread_id: int, params: Query[MessageParams]
) -> dict[str, Any]:
    tenant = tenant_of(request)
    thread = tenant_get_or_404(Thread, tenant=tenant, pk=thread_id)
    timeline = timeline_latest(thread=thread, before=params.before, limit=params.limit)
    audit_log_record(  # every read of a conversation is audited (LGPD)
        action="conversation.view", user=request.user, tenant=tenant, obj=thread, ip=ip_of(request)
    )
    items = []
    for m in timeline.messages:
        quoted = getattr(m, "quoted", None)
        items.append(
            {
                "id": m.pk,
                "direction": m.direction,
                "kind": m.kind,
                "body": m.body,
                "status": m.status,
                "status_label": m.status_label,
                "at": m.provider_timestamp,
                "sent_by": (m.sent_by.get_full_name() or m.sent_by.email) if m.sent_by else None,
                "media_url": getattr(m, "media_url", None),
                "media_filename": m.media_filename,
                "quoted_id": quoted.pk if quoted is not None else None,
            }
        )
    return {"items": items, "has_older": timeline.has_older}
