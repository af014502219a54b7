"""WhatsApp channel pages (owners and admins): the chooser, the Evolution and Twilio set-up pages,
activation with confirmation. Thin: the services in `services/channels/` do the work."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import MANAGER_ROLES
from clinicrm.core.tenancy import tenant_required
from clinicrm.messaging.channel_forms import (
    EvolutionPairForm,
    EvolutionSetupForm,
    TwilioSetupForm,
    TwilioTemplateForm,
)
from clinicrm.messaging.models import Channel, ChannelStatus, Provider
from clinicrm.messaging.services.channels import (
    EvolutionQR,
    channel_activate,
    channel_deactivate,
    channel_get,
    channel_is_configured,
    evolution_channel_disconnect,
    evolution_channel_qr,
    evolution_channel_setup,
    evolution_channel_state,
    twilio_channel_setup,
    twilio_template_add,
    twilio_template_remove,
    twilio_webhook_urls,
)
from clinicrm.people.phones import phone_format_display

managers_only = tenant_required(roles=MANAGER_ROLES)

# The QR code stays on screen for this many polls (5 s each) before asking for a new one.
PAIR_MAX_POLLS = 36

PROVIDERS: dict[str, dict[str, Any]] = {
    Provider.EVOLUTION: {
        "title": "Pessoal",
        "subtitle": "WhatsApp pelo Evolution API",
        "features": [
            "Não oficial: usa o WhatsApp do seu celular",
            "Conecta lendo um QR code",
            "Gratuito: não consome créditos",
        ],
        "setup_url": "messaging:evolution_setup",
    },
    Provider.TWILIO: {
        "title": "Oficial",
        "subtitle": "API oficial do WhatsApp pela Twilio",
        "features": [
            "Oficial: número aprovado pela Meta",
            "1 crédito por mensagem enviada",
            "Modelos aprovados fora da janela de 24 horas",
        ],
        "setup_url": "messaging:twilio_setup",
    },
}

STATUS_PILL: dict[str, str] = {
    ChannelStatus.OPEN: "pill-ok",
    ChannelStatus.ACTIVE: "pill-ok",
    ChannelStatus.CONNECTING: "pill-warn",
    ChannelStatus.DISCONNECTED: "pill-danger",
    ChannelStatus.INVALID: "pill-danger",
}


def _tenant(request: HttpRequest) -> Any:
    return request.tenant  # type: ignore[attr-defined]


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


def _card(provider: str, channel: Channel | None, active: Channel | None) -> dict[str, Any]:
    info = PROVIDERS[provider]
    configured = channel is not None and channel_is_configured(channel)
    return {
        "provider": provider,
        **info,
        "setup_url": reverse(info["setup_url"]),
        "activate_url": reverse(f"messaging:{provider}_activate"),
        "deactivate_url": reverse(f"messaging:{provider}_deactivate"),
        "channel": channel,
        "configured": configured,
        "is_active": bool(channel and channel.is_active),
        "status_label": channel.get_status_display() if configured and channel else "",
        "status_pill": STATUS_PILL.get(channel.status, "") if channel else "",
        # Activating this one switches the other off: ask first.
        "replaces": active if active is not None and active.provider != provider else None,
        "replaces_title": PROVIDERS[active.provider]["title"] if active is not None else "",
    }


@require_GET
@managers_only
def channel_chooser(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    channels = {p: channel_get(tenant=tenant, provider=p) for p in PROVIDERS}
    active = next((c for c in channels.values() if c is not None and c.is_active), None)
    cards = [_card(p, channels[p], active) for p in PROVIDERS]
    return render(request, "messaging/channels/chooser.html", {"cards": cards, "active": active})


@require_http_methods(["GET", "POST"])
@managers_only
def channel_activate_view(request: HttpRequest, provider: str) -> HttpResponse:
    tenant = _tenant(request)
    channel = channel_get(tenant=tenant, provider=provider)
    if channel is None or not channel_is_configured(channel):
        messages.warning(request, "Configure este canal antes de ativá-lo.")
        return redirect(PROVIDERS[provider]["setup_url"])
    other = next(
        (
            c
            for c in Channel.objects.filter(tenant=tenant, is_active=True)
            if c.provider != provider
        ),
        None,
    )
    if request.method == "GET" or (other is not None and request.POST.get("confirm") != "1"):
        return render(
            request,
            "messaging/channels/confirm.html",
            {"action": "activate", "card": _card(provider, channel, other), "other": other},
        )
    try:
        channel_activate(tenant=tenant, actor=request.user, provider=provider)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        title = PROVIDERS[provider]["title"]
        if other is not None:
            old = PROVIDERS[other.provider]["title"]
            messages.success(request, f"Canal {title} ativado. O canal {old} foi desativado.")
        else:
            messages.success(request, f"Canal {title} ativado.")
    return redirect("messaging:channel_chooser")


@require_http_methods(["GET", "POST"])
@managers_only
def channel_deactivate_view(request: HttpRequest, provider: str) -> HttpResponse:
    tenant = _tenant(request)
    channel = channel_get(tenant=tenant, provider=provider)
    if channel is None or not channel.is_active:
        messages.info(request, "Este canal já está desativado.")
        return redirect("messaging:channel_chooser")
    if request.method == "GET" or request.POST.get("confirm") != "1":
        return render(
            request,
            "messaging/channels/confirm.html",
            {"action": "deactivate", "card": _card(provider, channel, channel), "other": None},
        )
    channel_deactivate(tenant=tenant, actor=request.user, provider=provider)
    messages.success(
        request,
        f"Canal {PROVIDERS[provider]['title']} desativado. "
        "A clínica não envia nem recebe WhatsApp até ativar um canal.",
    )
    return redirect("messaging:channel_chooser")


def _activate_if_none(request: HttpRequest, provider: str) -> None:
    """A freshly configured channel of a tenant with no active channel starts in use."""
    tenant = _tenant(request)
    if Channel.objects.filter(tenant=tenant, is_active=True).exists():
        messages.info(
            request,
            "Canal salvo. Para usá-lo, ative-o na página WhatsApp (o outro canal será desativado).",
        )
        return
    try:
        channel_activate(tenant=tenant, actor=request.user, provider=provider)
    except ApplicationError as exc:
        messages.error(request, exc.message)


# --- Evolution ---------------------------------------------------------------------------------


def _evolution_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    channel = channel_get(tenant=_tenant(request), provider=Provider.EVOLUTION)
    configured = channel is not None and channel_is_configured(channel)
    return {
        "channel": channel,
        "configured": configured,
        "pairing": request.GET.get("parear") == "1",
        "setup_form": EvolutionSetupForm(),
        "pair_form": EvolutionPairForm(),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@managers_only
def evolution_setup(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "messaging/channels/evolution.html", _evolution_context(request))
    form = EvolutionSetupForm(request.POST)
    if form.is_valid():
        try:
            evolution_channel_setup(
                tenant=_tenant(request),
                actor=request.user,
                instance_name=form.cleaned_data["instance_name"] or None,
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, "Instância criada. Leia o QR code com o WhatsApp do celular.")
            _activate_if_none(request, Provider.EVOLUTION)
            return redirect(reverse("messaging:evolution_setup") + "?parear=1")
    context = _evolution_context(request, setup_form=form)
    return render(request, "messaging/channels/evolution.html", context, status=400)


def _panel(
    request: HttpRequest,
    *,
    pairing: bool,
    polls: int,
    number: str | None = None,
    pair_form: EvolutionPairForm | None = None,
    status: int = 200,
) -> HttpResponse:
    tenant = _tenant(request)
    channel = channel_get(tenant=tenant, provider=Provider.EVOLUTION)
    ctx: dict[str, Any] = {
        "channel": channel,
        "configured": channel is not None and channel_is_configured(channel),
        "pairing": pairing,
        "polls": polls,
        "next_polls": polls + 1,
        "pair_form": pair_form or EvolutionPairForm(),
        "expired": False,
        "error": "",
        "qr": None,
    }
    if ctx["configured"]:
        try:
            state = evolution_channel_state(tenant=tenant)
            if pairing and state != ChannelStatus.OPEN:
                if polls >= PAIR_MAX_POLLS:
                    ctx["expired"] = True
                else:
                    qr: EvolutionQR = evolution_channel_qr(tenant=tenant, number=number)
                    ctx["qr"] = qr
                    state = qr.state
            ctx["state"] = state
        except ApplicationError as exc:
            if exc.field == "number" and pair_form is not None:
                pair_form.add_service_error(exc)
                status = 400
            else:
                ctx["error"] = exc.message
        channel = channel_get(tenant=tenant, provider=Provider.EVOLUTION)
        ctx["channel"] = channel
        ctx["status_pill"] = STATUS_PILL.get(channel.status, "") if channel else ""
    return render(request, "messaging/channels/evolution.html#panel", ctx, status=status)


@require_GET
@managers_only
def evolution_panel(request: HttpRequest) -> HttpResponse:
    """The connection panel (state pill, QR code), polled by htmx while the page is open."""
    try:
        polls = max(0, int(request.GET.get("n", "0")))
    except ValueError:
        polls = 0
    return _panel(request, pairing=request.GET.get("parear") == "1", polls=polls)


@require_POST
@managers_only
def evolution_pair_code(request: HttpRequest) -> HttpResponse:
    """Pair with a code typed on the phone instead of scanning the QR."""
    form = EvolutionPairForm(request.POST)
    if not form.is_valid():
        return _panel(request, pairing=False, polls=0, pair_form=form, status=400)
    return _panel(
        request, pairing=True, polls=0, number=form.cleaned_data["number"], pair_form=form
    )


@require_POST
@managers_only
def evolution_reconnect(request: HttpRequest) -> HttpResponse:
    try:
        evolution_channel_setup(tenant=_tenant(request), actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("messaging:evolution_setup")
    return redirect(reverse("messaging:evolution_setup") + "?parear=1")


@require_POST
@managers_only
def evolution_disconnect(request: HttpRequest) -> HttpResponse:
    try:
        evolution_channel_disconnect(tenant=_tenant(request), actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "WhatsApp desconectado. Leia um novo QR code para reconectar.")
    return redirect("messaging:evolution_setup")


# --- Twilio ------------------------------------------------------------------------------------


def _twilio_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    channel = channel_get(tenant=_tenant(request), provider=Provider.TWILIO)
    configured = channel is not None and channel_is_configured(channel)
    initial = {}
    if channel is not None:
        initial = {
            "account_sid": channel.config.get("account_sid", ""),
            "api_key_sid": channel.config.get("api_key_sid", ""),
            "sender": phone_format_display(str(channel.config.get("sender", ""))),
        }
    ctx = {
        "channel": channel,
        "configured": configured,
        "status_pill": STATUS_PILL.get(channel.status, "") if channel else "",
        "form": TwilioSetupForm(initial=initial, has_secrets=configured),
        "template_form": TwilioTemplateForm(),
        "templates": list((channel.config.get("templates") or []) if channel else []),
        "webhooks": twilio_webhook_urls(channel) if channel is not None else None,
        "sender_display": phone_format_display(str(channel.config.get("sender", "")))
        if channel
        else "",
    }
    return ctx | extra


@require_http_methods(["GET", "POST"])
@managers_only
def twilio_setup(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "messaging/channels/twilio.html", _twilio_context(request))
    tenant = _tenant(request)
    existing = channel_get(tenant=tenant, provider=Provider.TWILIO)
    form = TwilioSetupForm(
        request.POST, has_secrets=existing is not None and channel_is_configured(existing)
    )
    if form.is_valid():
        try:
            twilio_channel_setup(tenant=tenant, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, "Credenciais verificadas na Twilio e salvas.")
            _activate_if_none(request, Provider.TWILIO)
            return redirect("messaging:twilio_setup")
    context = _twilio_context(request, form=form)
    return render(request, "messaging/channels/twilio.html", context, status=400)


def _templates_response(
    request: HttpRequest,
    form: TwilioTemplateForm | None = None,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    context = _twilio_context(request, template_error=error)
    if form is not None:
        context["template_form"] = form
    if _is_htmx(request):
        return render(request, "messaging/channels/twilio.html#templates", context, status=status)
    if status == 200:
        return redirect("messaging:twilio_setup")
    return render(request, "messaging/channels/twilio.html", context, status=status)


@require_POST
@managers_only
def twilio_template_create(request: HttpRequest) -> HttpResponse:
    form = TwilioTemplateForm(request.POST)
    if form.is_valid():
        try:
            twilio_template_add(
                tenant=_tenant(request),
                actor=request.user,
                name=form.cleaned_data["name"],
                content_sid=form.cleaned_data["content_sid"],
                variables=form.variables_list(),
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            return _templates_response(request)
    return _templates_response(request, form, status=400)


@require_POST
@managers_only
def twilio_template_delete(request: HttpRequest) -> HttpResponse:
    try:
        twilio_template_remove(
            tenant=_tenant(request),
            actor=request.user,
            content_sid=request.POST.get("content_sid", ""),
        )
    except ApplicationError as exc:
        return _templates_response(request, status=400, error=exc.message)
    return _templates_response(request)
