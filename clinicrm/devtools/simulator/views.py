"""`/simulador/`: a phone where a demo user plays a patient of one of their clinics.

Development only (404 when DJANGO_ENV=production). The page talks to the fake provider of the
chosen clinic's active channel (see fakes.py); it writes nothing to the CRM's tables. What the
"patient" sent is remembered in the session (the Twilio fake keeps no inbound log); the clinic's
replies and their ticks come from the fake's records, polled every 2 s with htmx.
"""

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from clinicrm.core.body_limit import FORM_ROOM_BYTES, body_max
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import CLINIC_ROLES, Membership, Tenant
from clinicrm.core.tenancy import memberships_for_user
from clinicrm.devtools.simulator.fakes import SimulatorError, Upload, phone_for
from clinicrm.messaging.models import Channel
from clinicrm.messaging.selectors import channel_active_get
from clinicrm.people.models import ContactPhone, EntityType, Patient
from clinicrm.people.phones import phone_canonicalize, phone_format_display

TEMPLATE = "devtools/simulator.html"
SESSION_KEY = "simulator_log"
LOG_LIMIT = 60
MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_SIGNATURES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
DEFAULT_NAME = "Paciente simulado"
REFRESH_EVENT = "simulator-refresh"


def _membership(request: HttpRequest, raw: str) -> Membership:
    """The chosen clinic among the user's own memberships (default: the current one), where
    the user has a role the menu shows the simulator to (owner, admin, secretary)."""
    memberships = [m for m in memberships_for_user(request.user) if m.role in CLINIC_ROLES]
    if not memberships:
        raise Http404("Não encontrado.")
    if not raw:
        current = getattr(request, "tenant", None)
        raw = str(current.pk) if current is not None else str(memberships[0].tenant_id)
    for membership in memberships:
        if str(membership.tenant_id) == raw:
            return membership
    raise Http404("Clínica não encontrada.")


def _patient_numbers(tenant: Tenant) -> list[dict[str, str]]:
    phones = list(
        ContactPhone.objects.filter(tenant=tenant, entity_type=EntityType.PATIENT)
        .order_by("-whatsapp_linked", "-is_primary", "id")
        .values("entity_id", "number_e164", "whatsapp_linked")[:200]
    )
    names = dict(
        Patient.objects.filter(tenant=tenant, pk__in={p["entity_id"] for p in phones}).values_list(
            "pk", "full_name"
        )
    )
    out, seen = [], set()
    for p in phones:
        number = p["number_e164"]
        if number in seen or p["entity_id"] not in names:
            continue
        seen.add(number)
        out.append(
            {
                "number": number,
                "label": f"{names[p['entity_id']]} · {phone_format_display(number)}",
                "name": names[p["entity_id"]],
            }
        )
    return sorted(out, key=lambda row: row["label"])


def _name_for(tenant: Tenant, number: str) -> str:
    for row in _patient_numbers(tenant):
        if row["number"] == number:
            return row["name"]
    return DEFAULT_NAME


def _log_key(tenant: Tenant, number: str) -> str:
    return f"{tenant.pk}:{number}"


def _log_read(request: HttpRequest, tenant: Tenant, number: str) -> list[dict[str, Any]]:
    return list(request.session.get(SESSION_KEY, {}).get(_log_key(tenant, number), []))


def _log_add(request: HttpRequest, tenant: Tenant, number: str, kind: str, text: str) -> None:
    logs = dict(request.session.get(SESSION_KEY, {}))
    key = _log_key(tenant, number)
    entry = {"kind": kind, "text": text, "at": timezone.now().timestamp()}
    logs[key] = [*logs.get(key, []), entry][-LOG_LIMIT:]
    request.session[SESSION_KEY] = logs


def _chooser_url() -> str:
    try:
        return reverse("messaging:channel_chooser")
    except NoReverseMatch:
        return "/configuracoes/whatsapp"


class _Ctx:
    """Everything a simulator request resolves once: clinic, channel, number."""

    def __init__(self, request: HttpRequest, params: Any) -> None:
        self.membership = _membership(request, str(params.get("clinica", "")))
        self.tenant: Tenant = self.membership.tenant
        self.channel: Channel | None = channel_active_get(tenant=self.tenant)
        self.number = ""
        self.number_error = ""
        raw = str(params.get("numero", "")).strip()
        if raw:
            try:
                self.number = phone_canonicalize(raw, field="numero")
            except ApplicationError as exc:
                self.number_error = exc.message
        self.raw_number = raw

    def context(self, request: HttpRequest, **extra: Any) -> dict[str, Any]:
        query = {"clinica": str(self.tenant.pk)}
        if self.number:
            query["numero"] = self.number
        return {
            "memberships": memberships_for_user(request.user),
            "tenant": self.tenant,
            "channel": self.channel,
            "number": self.number,
            "number_display": phone_format_display(self.number) if self.number else "",
            "raw_number": self.raw_number,
            "number_error": self.number_error,
            "patients": _patient_numbers(self.tenant),
            "chooser_url": _chooser_url(),
            "query": urlencode(query),
            **extra,
        }


def _conversation(request: HttpRequest, ctx: _Ctx) -> tuple[list[dict[str, Any]], str]:
    """Merged timeline: the patient's sent items (session) and the clinic's replies (fake)."""
    items: list[dict[str, Any]] = [
        {
            "side": "patient",
            "kind": e["kind"],
            "text": e["text"],
            "at": dt.datetime.fromtimestamp(e["at"], tz=dt.UTC),
        }
        for e in _log_read(request, ctx.tenant, ctx.number)
    ]
    error = ""
    if ctx.channel is not None:
        try:
            replies = phone_for(ctx.channel).replies(number=ctx.number)
        except SimulatorError as exc:
            replies, error = [], exc.message
        items += [
            {
                "side": "clinic",
                "kind": r.kind,
                "kind_label": r.kind_label,
                "text": r.text,
                "at": r.at,
                "status": r.status,
                "ticks": r.ticks,
                "status_label": r.status_label,
            }
            for r in replies
        ]
    items.sort(key=lambda item: item["at"])
    return items, error


@require_GET
@login_required
def simulator_home(request: HttpRequest) -> HttpResponse:
    ctx = _Ctx(request, request.GET)
    extra: dict[str, Any] = {}
    if ctx.channel is not None and ctx.number:
        extra["items"], extra["fake_error"] = _conversation(request, ctx)
    status = 400 if ctx.number_error else 200
    return render(request, TEMPLATE, ctx.context(request, **extra), status=status)


@require_GET
@login_required
def simulator_conversation(request: HttpRequest) -> HttpResponse:
    ctx = _Ctx(request, request.GET)
    if ctx.channel is None or not ctx.number:
        raise Http404("Escolha a clínica e o número.")
    items, error = _conversation(request, ctx)
    return render(
        request,
        f"{TEMPLATE}#conversation",
        ctx.context(request, items=items, fake_error=error),
    )


def _image(request: HttpRequest) -> tuple[Upload | None, str]:
    upload = request.FILES.get("foto")
    if upload is None:
        return None, "Escolha uma foto para enviar."
    if upload.size is None or upload.size > MAX_IMAGE_BYTES:
        return None, "A foto deve ter no máximo 5 MB."
    content = upload.read()
    mime = next((m for m, sig in IMAGE_SIGNATURES.items() if content.startswith(sig)), "")
    if not mime:
        return None, "Envie uma foto JPEG ou PNG."
    return Upload(content=content, mime=mime, filename=upload.name or "foto.jpg"), ""


@body_max(lambda: MAX_IMAGE_BYTES + FORM_ROOM_BYTES)
@require_POST
@login_required
def simulator_send(request: HttpRequest) -> HttpResponse:
    ctx = _Ctx(request, request.POST)
    if ctx.channel is None or not ctx.number:
        raise Http404("Escolha a clínica e o número.")
    kind = request.POST.get("tipo", "texto")
    text = request.POST.get("texto", "").strip()
    name = _name_for(ctx.tenant, ctx.number)
    error = ""
    try:
        phone = phone_for(ctx.channel)
        if kind == "foto":
            image, error = _image(request)
            if image is not None:
                phone.send_image(number=ctx.number, image=image, caption=text, name=name)
                _log_add(request, ctx.tenant, ctx.number, "image", text)
        elif kind == "audio":
            phone.send_voice(number=ctx.number, name=name)
            _log_add(request, ctx.tenant, ctx.number, "audio", "")
        elif not text:
            error = "Escreva uma mensagem."
        elif len(text) > 4096:
            error = "A mensagem pode ter no máximo 4096 caracteres."
        else:
            phone.send_text(number=ctx.number, text=text, name=name)
            _log_add(request, ctx.tenant, ctx.number, "text", text)
    except SimulatorError as exc:
        error = exc.message
    context = ctx.context(request, send_error=error, texto=text if error else "")
    response = render(request, f"{TEMPLATE}#send-form", context, status=400 if error else 200)
    if not error:
        response["HX-Trigger"] = REFRESH_EVENT
    return response


@require_POST
@login_required
def simulator_mark_read(request: HttpRequest) -> HttpResponse:
    """The patient opens the chat: the fake pushes "read" for the clinic's unread replies."""
    ctx = _Ctx(request, request.POST)
    if ctx.channel is None or not ctx.number:
        raise Http404("Escolha a clínica e o número.")
    error = ""
    try:
        phone_for(ctx.channel).mark_read(number=ctx.number)
    except SimulatorError as exc:
        error = exc.message
    items, fetch_error = _conversation(request, ctx)
    return render(
        request,
        f"{TEMPLATE}#conversation",
        ctx.context(request, items=items, fake_error=error or fetch_error),
        status=400 if error else 200,
    )
