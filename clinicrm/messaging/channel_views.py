"""WhatsApp channel pages (owners and admins): the chooser and activation with confirmation.
Each provider's set-up pages live in integrations/<provider>/views.py and use what is public here
(`managers_only`, `STATUS_PILL`, `channel_activate_if_none`); the cards come from the channel
kinds the providers registered (messaging/channel_kinds.py)."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import MANAGER_ROLES
from clinicrm.core.tenancy import request_tenant, tenant_required
from clinicrm.messaging.channel_kinds import channel_kind_get, channel_kinds
from clinicrm.messaging.models import Channel, ChannelStatus
from clinicrm.messaging.services.channels import (
    channel_activate,
    channel_deactivate,
    channel_get,
    channel_is_configured,
)

managers_only = tenant_required(roles=MANAGER_ROLES)

STATUS_PILL: dict[str, str] = {
    ChannelStatus.OPEN: "pill-ok",
    ChannelStatus.ACTIVE: "pill-ok",
    ChannelStatus.CONNECTING: "pill-warn",
    ChannelStatus.DISCONNECTED: "pill-danger",
    ChannelStatus.INVALID: "pill-danger",
}


def _title(provider: str) -> str:
    return channel_kind_get(provider).title


def _card(provider: str, channel: Channel | None, active: Channel | None) -> dict[str, Any]:
    kind = channel_kind_get(provider)
    configured = channel is not None and channel_is_configured(channel)
    return {
        "provider": provider,
        "title": kind.title,
        "subtitle": kind.subtitle,
        "features": kind.features,
        "setup_url": reverse(kind.setup_url),
        "activate_url": reverse(f"messaging:{provider}_activate"),
        "deactivate_url": reverse(f"messaging:{provider}_deactivate"),
        "channel": channel,
        "configured": configured,
        "is_active": bool(channel and channel.is_active),
        "status_label": channel.get_status_display() if configured and channel else "",
        "status_pill": STATUS_PILL.get(channel.status, "") if channel else "",
        # Activating this one switches the other off: ask first.
        "replaces": active if active is not None and active.provider != provider else None,
        "replaces_title": _title(active.provider) if active is not None else "",
    }


@require_GET
@managers_only
def channel_chooser(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    keys = [kind.key for kind in channel_kinds()]
    channels = {p: channel_get(tenant=tenant, provider=p) for p in keys}
    active = next((c for c in channels.values() if c is not None and c.is_active), None)
    cards = [_card(p, channels[p], active) for p in keys]
    return render(request, "messaging/channels/chooser.html", {"cards": cards, "active": active})


@require_http_methods(["GET", "POST"])
@managers_only
def channel_activate_view(request: HttpRequest, provider: str) -> HttpResponse:
    tenant = request_tenant(request)
    channel = channel_get(tenant=tenant, provider=provider)
    if channel is None or not channel_is_configured(channel):
        messages.warning(request, "Configure este canal antes de ativá-lo.")
        return redirect(channel_kind_get(provider).setup_url)
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
        title = _title(provider)
        if other is not None:
            old = _title(other.provider)
            messages.success(request, f"Canal {title} ativado. O canal {old} foi desativado.")
        else:
            messages.success(request, f"Canal {title} ativado.")
    return redirect("messaging:channel_chooser")


@require_http_methods(["GET", "POST"])
@managers_only
def channel_deactivate_view(request: HttpRequest, provider: str) -> HttpResponse:
    tenant = request_tenant(request)
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
        f"Canal {_title(provider)} desativado. "
        "A clínica não envia nem recebe WhatsApp até ativar um canal.",
    )
    return redirect("messaging:channel_chooser")


def channel_activate_if_none(request: HttpRequest, provider: str) -> None:
    """A freshly configured channel of a tenant with no active channel starts in use."""
    tenant = request_tenant(request)
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
