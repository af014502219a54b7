"""Inbox pages (minimal): thread list, thread timeline with a send box. Thin: services write."""

from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from clinicrm.core.errors import ApplicationError
from clinicrm.core.tenancy import tenant_get_or_404, tenant_required
from clinicrm.messaging import selectors
from clinicrm.messaging.mediatypes import SNIFF_BYTES, media_mime_decide, media_mime_inline
from clinicrm.messaging.models import MediaStatus, Message, Thread
from clinicrm.messaging.services import message_send, realtime_event_emit, thread_mark_read
from clinicrm.messaging.services.outbox import thread_window_open
from clinicrm.messaging.services.realtime import KIND_THREAD
from clinicrm.messaging.services.templates import (
    channel_templates,
    message_send_template,
    template_preview,
    thread_window_state,
)
from clinicrm.messaging.services.uploads import (
    accept_attribute,
    media_limits_for,
    message_send_upload,
)
from clinicrm.messaging.signing import media_signed_url, media_token_read

TIMELINE_REFRESH = "timeline-refresh"


def _tenant(request: HttpRequest) -> Any:
    return request.tenant  # type: ignore[attr-defined]


@require_GET
@tenant_required
def inbox(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")
    page_obj = selectors.thread_page(
        tenant=_tenant(request), search=search, page=request.GET.get("page")
    )
    context = {
        "page_obj": page_obj,
        "threads": page_obj.object_list,
        "q": search,
        "query_string": urlencode({"q": search}) if search else "",
    }
    if request.headers.get("HX-Request") and request.GET.get("fragment") == "list":
        return render(request, "messaging/inbox.html#thread-list", context)
    return render(request, "messaging/inbox.html", context)


def _with_media_urls(rows: list[Message]) -> list[Message]:
    for row in rows:
        if row.media_status == MediaStatus.STORED:
            row.media_url = media_signed_url(message=row)  # type: ignore[attr-defined]
    return rows


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


def _thread_context(
    request: HttpRequest,
    thread: Thread,
    *,
    template_sid: str = "",
    template_values: dict[str, str] | None = None,
) -> dict[str, Any]:
    channel = selectors.channel_active_get(tenant=_tenant(request))
    is_twilio = bool(channel and channel.is_twilio)
    window = thread_window_state(thread=thread) if is_twilio else None
    window_closed = bool(is_twilio and not thread_window_open(thread=thread))
    templates = channel_templates(channel=channel) if is_twilio else []
    if not template_sid and templates:
        template_sid = templates[0].content_sid
    return {
        "thread": thread,
        "timeline": _with_media_urls(selectors.thread_timeline(thread=thread)),
        "channel": channel,
        "window": window,
        "window_closed": window_closed,
        "templates": _template_choices(templates, template_sid, template_values or {}),
        "media_accept": accept_attribute(),
        "media_limits": media_limits_for(provider=channel.provider) if channel else [],
    }


@require_GET
@tenant_required
def thread_detail(request: HttpRequest, thread_key: str) -> HttpResponse:
    thread = tenant_get_or_404(Thread, tenant=_tenant(request), thread_key=thread_key)
    if thread_mark_read(thread=thread):
        thread.unread_count = 0
        realtime_event_emit(
            tenant=_tenant(request), kind=KIND_THREAD, payload={"thread": thread.pk, "unread": 0}
        )
    return render(request, "messaging/thread.html", _thread_context(request, thread))


@require_GET
@tenant_required
def thread_timeline(request: HttpRequest, thread_key: str) -> HttpResponse:
    thread = tenant_get_or_404(Thread, tenant=_tenant(request), thread_key=thread_key)
    # An open page sees new messages: they are read.
    if thread_mark_read(thread=thread):
        thread.unread_count = 0
    # The window pill rides along out-of-band: the header follows the refresh too.
    context = _thread_context(request, thread) | {"refresh": True}
    return render(request, "messaging/thread.html#timeline-refresh", context)


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
            tenant=_tenant(request),
            actor=request.user,  # type: ignore[arg-type]  # tenant_required: authenticated
            thread_key=thread.thread_key,
            content_sid=sid,
            values=ordered,
            confirmed=request.POST.get("confirmed") == "1",
        )
    except ApplicationError as exc:
        context = _thread_context(request, thread, template_sid=sid, template_values=values)
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
        return render(request, "messaging/thread.html#send-box", context, status=400)
    response = render(request, "messaging/thread.html#send-box", _thread_context(request, thread))
    response["HX-Trigger"] = TIMELINE_REFRESH
    return response


@require_POST
@tenant_required
def thread_send(request: HttpRequest, thread_key: str) -> HttpResponse:
    thread = tenant_get_or_404(Thread, tenant=_tenant(request), thread_key=thread_key)
    if "content_sid" in request.POST:
        return _send_template(request, thread)
    text = request.POST.get("text", "")
    upload = request.FILES.get("media")
    voice = request.POST.get("voice") == "1"
    # A send check asked for it (e.g. the contact opted out, LGPD): the person confirmed.
    confirmed = request.POST.get("confirmed") == "1"
    context = _thread_context(request, thread)
    try:
        if upload is not None:
            # A file goes with the text as its caption (services/uploads.py checks limits).
            message_send_upload(
                tenant=_tenant(request),
                actor=request.user,  # type: ignore[arg-type]  # tenant_required: authenticated
                thread_key=thread.thread_key,
                upload=upload,
                caption=text,
                voice=voice,
                confirmed=confirmed,
            )
        else:
            message_send(
                tenant=_tenant(request),
                actor=request.user,  # type: ignore[arg-type]  # tenant_required: authenticated
                thread_key=thread.thread_key,
                text=text,
                confirmed=confirmed,
            )
    except ApplicationError as exc:
        context.update({"error": exc.message, "error_field": exc.field, "text": text})
        context["voice"] = voice
        return render(request, "messaging/thread.html#send-box", context, status=400)
    response = render(request, "messaging/thread.html#send-box", context)
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
    message = (
        Message.objects.filter(pk=message_id, tenant_id=tenant_id, media_status=MediaStatus.STORED)
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
