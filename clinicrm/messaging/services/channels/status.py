"""A channel's connection state as the provider reports it: Evolution's `connection.update`,
the instance state read on the set-up page, or a send refused for the channel's credentials."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinicrm.core.models import CLINIC_ROLES
from clinicrm.core.notifications import notification_send_roles
from clinicrm.messaging.models import CHANNEL_CONNECTED, Channel, ChannelStatus
from clinicrm.messaging.services.realtime import KIND_CHANNEL, realtime_event_emit

_NOTICES: dict[str, tuple[str, str]] = {
    ChannelStatus.DISCONNECTED: (
        "WhatsApp desconectado",
        "O WhatsApp da clínica se desconectou: mensagens e lembretes não saem até ele "
        "ser reconectado.",
    ),
    ChannelStatus.INVALID: (
        "Credenciais do WhatsApp recusadas",
        "O provedor de WhatsApp recusou as credenciais da clínica: mensagens e lembretes não "
        "saem até elas serem atualizadas na configuração do WhatsApp.",
    ),
}


def channel_status_set(*, channel: Channel, status: str) -> bool:
    """Record a provider connection state; emits an event and, when the active channel drops
    from connected (not a pairing attempt that failed), notifies the clinic's staff."""
    if status not in ChannelStatus.values:
        raise ValueError(f"unknown channel status {status!r}")
    with transaction.atomic():
        previous = (
            Channel.objects.select_for_update()
            .filter(pk=channel.pk)
            .values_list("status", "is_active")
            .first()
        )
        changed = (
            Channel.objects.filter(pk=channel.pk)
            .exclude(status=status)
            .update(status=status, status_changed_at=timezone.now(), updated_at=timezone.now())
        )
        if changed:
            channel.status = status
            realtime_event_emit(
                tenant=channel.tenant,
                kind=KIND_CHANNEL,
                payload={"channel": channel.pk, "status": status},
            )
            status_was, is_active = previous or ("", False)
            if status in _NOTICES and is_active and status_was in CHANNEL_CONNECTED:
                _dropped_notify(channel, status)
    return bool(changed)


def _dropped_notify(channel: Channel, status: str) -> None:
    title, body = _NOTICES[status]
    notification_send_roles(
        tenant=channel.tenant,
        roles=CLINIC_ROLES,
        kind="channel.disconnected",
        title=title,
        body=body,
        url=reverse("messaging:channel_chooser"),
    )
