"""The Evolution set-up pages (owners and admins): create the instance, pair by QR code or
code, reconnect, disconnect. Thin: `channels.py` does the work."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinicrm.core.errors import ApplicationError
from clinicrm.core.tenancy import request_tenant
from clinicrm.integrations.evolution.channels import (
    EvolutionQR,
    evolution_channel_disconnect,
    evolution_channel_qr,
    evolution_channel_setup,
    evolution_channel_state,
)
from clinicrm.integrations.evolution.forms import EvolutionPairForm, EvolutionSetupForm
from clinicrm.messaging.channel_views import STATUS_PILL, channel_activate_if_none, managers_only
from clinicrm.messaging.models import ChannelStatus, Provider
from clinicrm.messaging.services.channels import channel_get, channel_is_configured

# The QR code stays on screen for this many polls (5 s each) before asking for a new one.
PAIR_MAX_POLLS = 36


def _evolution_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    channel = channel_get(tenant=request_tenant(request), provider=Provider.EVOLUTION)
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
        return render(request, "evolution/setup.html", _evolution_context(request))
    form = EvolutionSetupForm(request.POST)
    if form.is_valid():
        try:
            evolution_channel_setup(
                tenant=request_tenant(request),
                actor=request.user,
                instance_name=form.cleaned_data["instance_name"] or None,
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, "Instância criada. Leia o QR code com o WhatsApp do celular.")
            channel_activate_if_none(request, Provider.EVOLUTION)
            return redirect(reverse("integrations:evolution_setup") + "?parear=1")
    context = _evolution_context(request, setup_form=form)
    return render(request, "evolution/setup.html", context, status=400)


def _panel(
    request: HttpRequest,
    *,
    pairing: bool,
    polls: int,
    number: str | None = None,
    pair_form: EvolutionPairForm | None = None,
    status: int = 200,
) -> HttpResponse:
    tenant = request_tenant(request)
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
    return render(request, "evolution/setup.html#panel", ctx, status=status)


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
        evolution_channel_setup(tenant=request_tenant(request), actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("integrations:evolution_setup")
    return redirect(reverse("integrations:evolution_setup") + "?parear=1")


@require_POST
@managers_only
def evolution_disconnect(request: HttpRequest) -> HttpResponse:
    try:
        evolution_channel_disconnect(tenant=request_tenant(request), actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "WhatsApp desconectado. Leia um novo QR code para reconectar.")
    return redirect("integrations:evolution_setup")
