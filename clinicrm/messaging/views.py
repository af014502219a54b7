"""Inbox pages: thread list, the conversation drawer (timeline, send box, panels of the apps
above: `panels.py`). Thin: services write, selectors and `timeline.py` read."""

from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from clinicrm.core.body_limit import body_max
from clinicrm.core.errors import ApplicationError
from clinicrm.core.rls import rls_tenant
from clinicrm.core.services import audit_log_record, client_ip
from clinicrm.core.tenancy import request_tenant, tenant_get_or_404, tenant_required
from clinicrm.messaging import selectors
from clinicrm.messaging.mediatypes import SNIFF_BYTES, media_mime_decide, media_mime_inline
from clinicrm.messaging.models import MediaStatus, Message, Thread
from clinicrm.messaging.panels import BODY, HEAD, conversation_panels_render
from clinicrm.messaging.services import message_send, realtime_event_emit, thread_mark_read
from clinicrm.messaging.services.outbox import thread_window_state
from clinicrm.messaging.services.realtime import KIND_THREAD
from clinicrm.messaging.services.templates import (
    channel_templates,
    message_send_template,
    template_preview,
)
from clinicrm.messaging.services.uploads import (
    accept_attribute,
    media_limits_for,
    message_send_upload,
    upload_body_max,
)
from clinicrm.messaging.signing import media_token_read
from clinicrm.messaging.timeline import timeline_latest, timeline_message, timeline_newer

TIMELINE_REFRESH = "timeline-refresh"
DRAWER_HOST = "drawer"  # id of the element pages put the drawer in
SEND_BOX = "messaging/thread.html#send-box"


def _template_choices(
    templates: list[Any], selected: str, values: dict[str, str]
) -> list[dict[str, Any]]:
    """Each template with its variable inputs and its preview rendered with the typed values
    (only the selected one keeps the values: the others start empty)."""
    choices = []
    for option in templates:
        mine = values if option.content_sid == selected else {}
        choices.append(
            {
                "option": option,
                "selected": option.content_sid == selected,
                "inputs": [
                    {"name": f"var_{i}", "label": label, "value": mine.get(str(i), "")}
                    for i, label in enumerate(option.variables, start=1)
                ],
                "preview": template_preview(option=option, values=mine),
            }
        )
    return choices


def _send_box_context(
    request: HttpRequest,
    thread: Thread,
    *,
    template_sid: str = "",
    template_values: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What the send box needs: the channel, Twilio's 24-hour window and approved templates."""
    channel = selectors.channel_active_get(tenant=request_tenant(request))
    is_twilio = bool(channel and channel.is_twilio)
    window = thread_window_state(thread=thread) if is_twilio else None
    window_closed = bool(is_twilio and not thread_window_state(thread=thread).is_open)
    templates = channel_templates(channel=channel) if is_twilio else []
    if not template_sid and templates:
        template_sid = templates[0].content_sid
    return {
        "thread": thread,
        "channel": channel,
        "window": window,
        "window_closed": window_closed,
        "templates": _template_choices(templates, template_sid, template_values or {}),
        "media_accept": accept_attribute(),
        "media_limits": media_limits_for(provider=channel.provider) if channel else [],
    }


def _thread_context(request: HttpRequest, thread: Thread, **kwargs: Any) -> dict[str, Any]:
    return _send_box_context(request, thread, **kwargs) | {
        "timeline": timeline_latest(thread=thread),
        "panels_head": conversation_panels_render(request=request, thread=thread, slot=HEAD),
        "panels_body": conversation_panels_render(request=request, thread=thread, slot=BODY),
    }


def _mark_read(request: HttpRequest, thread: Thread) -> None:
    if thread_mark_read(thread=thread):
        thread.unread_count = 0
        realtime_event_emit(
            tenant=request_tenant(request),
            kind=KIND_THREAD,
            payload={"thread": thread.pk, "unread": 0},
        )


@require_GET
@tenant_required
def thread_detail(request: HttpRequest, thread_id: int) -> HttpResponse:
    """The conversation: the drawer's content when htmx loads it into a `#drawer` host (inbox,
    Kanban, patient record, notifier), the same drawer as a whole page when opened directly."""
    thread = tenant_get_or_404(Thread, tenant=request_tenant(request), pk=thread_id)
    audit_log_record(  # every read of a conversation is audited (LGPD)
        action="conversation.view",
        user=request.user,
        tenant=request_tenant(request),
        obj=thread,
        ip=client_ip(request),
    )
    _mark_read(request, thread)
    context = _thread_context(request, thread)
    if request.htmx and request.htmx.target == DRAWER_HOST:  # type: ignore[attr-defined]
        return render(request, "messaging/thread.html#drawer", context)
    return render(request, "messaging/thread.html", context)


@require_GET
@tenant_required
def thread_timeline(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Pieces of the timeline: `antes` (older page), `depois` (what arrived since), `mensagem`
    (one message again: its ticks or media changed); without them the newest page."""
    thread = tenant_get_or_404(Thread, tenant=request_tenant(request), pk=thread_id)
    one = request.GET.get("mensagem")
    if one is not None:
        message = timeline_message(thread=thread, message_id=one)
        if message is None:
            raise Http404("Mensagem não encontrada.")
        return render(
            request, "messaging/_bubble.html", {"m": message, "thread": thread, "retry": True}
        )
    before, after = request.GET.get("antes"), request.GET.get("depois")
    if before is not None:
        timeline = timeline_latest(thread=thread, before=before)
    else:
        # An open drawer sees new messages: they are read.
        _mark_read(request, thread)
        timeline = (
            timeline_newer(thread=thread, after=after)
            if after is not None
            else timeline_latest(thread=thread)
        )
    context = _send_box_context(request, thread) | {
        "timeline": timeline,
        "older": before is not None,
        "refresh": True,
    }
    return render(request, "messaging/thread.html#timeline-page", context)


def _send_template(request: HttpRequest, thread: Thread) -> HttpResponse:
    sid = request.POST.get("content_sid", "")
    # Variables arrive as var_1, var_2...; the service checks them against the template.
    values = {
        k[4:]: request.POST.get(k, "")
        for k in request.POST
        if k.startswith("var_") and k[4:].isdigit() and 0 < int(k[4:]) <= 10
    }
    count = max((int(k) for k in values), default=0)
    ordered = [values.get(str(i), "") for i in range(1, count + 1)]
    try:
        message_send_template(
            tenant=request_tenant(request),
            actor=request.user,  # type: ignore[arg-type]  # tenant_required: authenticated
            thread_key=thread.thread_key,
            content_sid=sid,
            values=ordered,
            confirmed=request.POST.get("confirmed") == "1",
            ip=client_ip(request),
        )
    except ApplicationError as exc:
        context = _send_box_context(request, thread, template_sid=sid, template_values=values)
        field = exc.field or ""
        context.update(
            {
                "template_error": exc.message,
                "template_error_field": field,
                # Credits, channel...: shown above the form, not under an input.
                "template_error_general": field != "content_sid" and not field.startswith("var_"),
                "show_templates": True,
            }
        )
        return render(request, SEND_BOX, context, status=400)
    response = render(request, SEND_BOX, _send_box_context(request, thread))
    response["HX-Trigger"] = TIMELINE_REFRESH
    return response


@body_max(upload_body_max)
@require_POST
@tenant_required
def thread_send(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = tenant_get_or_404(Thread, tenant=request_tenant(request), pk=thread_id)
    if "content_sid" in request.POST:
        return _send_template(request, thread)
    # Browsers submit line breaks as CRLF; WhatsApp and the timeline use LF.
    text = request.POST.get("text", "").replace("\r\n", "\n")
    upload = request.FILES.get("media")
    voice = request.POST.get("voice") == "1"
    # A send check asked for it (e.g. the contact opted out, LGPD): the person confirmed.
    confirmed = request.POST.get("confirmed") == "1"
    context = _send_box_context(request, thread)
    try:
        if upload is not None:
            # A file goes with the text as its caption (services/uploads.py checks limits).
            message_send_upload(
                tenant=request_tenant(request),
                actor=request.user,  # type: ignore[arg-type]  # tenant_required: authenticated
                thread_key=thread.thread_key,
                upload=upload,
                caption=text,
                voice=voice,
                confirmed=confirmed,
                ip=client_ip(request),
            )
        else:
            message_send(
                tenant=request_tenant(request),
                actor=request.user,  # type: ignore[arg-type]  # tenant_required: authenticated
                thread_key=thread.thread_key,
                text=text,
                confirmed=confirmed,
                ip=client_ip(request),
            )
    except ApplicationError as exc:
        context.update({"error": exc.message, "error_field": exc.field, "text": text})
        context["voice"] = voice
        return render(request, SEND_BOX, context, status=400)
    response = render(request, SEND_BOX, context)
    response["HX-Trigger"] = TIMELINE_REFRESH
    return response


# Every file answer: the browser must not guess a type, and whatever it is, it runs nothing and
# fetches nothing (a sandboxed, opaque origin), even opened directly in a tab.
MEDIA_CSP = "sandbox; default-src 'none'"


@require_GET
def media(request: HttpRequest, token: str) -> HttpResponseBase:
    """Serve a message's stored media for a valid signed token (see signing.py).

    The type is decided again from the file's bytes (mediatypes.py), never read from the row:
    only raster images, audio and video are served inline, everything else as an attachment.
    """
    found = media_token_read(token)
    if found is None:
        raise Http404("Link expirado ou inválido.")
    message_id, tenant_id = found
    current = getattr(request, "tenant", None)
    if current is not None and str(current.pk) != tenant_id:
        raise Http404("Não encontrado.")
    # The signature proves the clinic (a provider fetching a sent file has no session): the
    # lookup runs in that clinic's row-level-security scope (core/rls.py).
    with rls_tenant(tenant_id):
        message = (
            Message.objects.filter(
                pk=message_id, tenant_id=tenant_id, media_status=MediaStatus.STORED
            )
            .only("kind", "media_path", "media_filename")
            .first()
        )
    if message is None or not message.media_path:
        raise Http404("Não encontrado.")
    try:
        handle = default_storage.open(message.media_path, "rb")
    except OSError as exc:
        raise Http404("Não encontrado.") from exc
    head = handle.read(SNIFF_BYTES)
    handle.seek(0)
    mime = media_mime_decide(kind=message.kind, head=head, filename=message.media_filename)
    response = FileResponse(
        handle,
        content_type=mime,
        as_attachment=not media_mime_inline(mime),
        filename=message.media_filename or "",
    )
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_CSP
    return response
