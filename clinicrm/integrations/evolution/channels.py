"""Evolution set-up (docs/providers/evolution.md §2.1, §3.1): the instance is created on the
configured server with the global key (`settings.EVOLUTION_API_KEY`); the instance key it answers is
the channel's only secret (encrypted), and the webhook points at
PUBLIC_BASE_URL/webhooks/evolution/<token>/ with that key as a static `apikey` header, which our
webhook view checks."""

import re
import secrets as pysecrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.core.services import audit_log_record
from clinicrm.integrations.evolution import constants as evo
from clinicrm.integrations.evolution.client import EvolutionClient, EvolutionError
from clinicrm.messaging.models import Channel, ChannelStatus, Provider
from clinicrm.messaging.services.channels.common import channel_get
from clinicrm.messaging.services.channels.status import channel_status_set
from clinicrm.people.phones import phone_canonicalize

INSTANCE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{2,49}$")

# Evolution connection state -> channel status (`refused` = gave up after the QR limit).
EVOLUTION_STATES = {
    evo.STATE_OPEN: ChannelStatus.OPEN,
    evo.STATE_CONNECTING: ChannelStatus.CONNECTING,
    evo.STATE_CLOSE: ChannelStatus.DISCONNECTED,
    evo.STATE_REFUSED: ChannelStatus.DISCONNECTED,
}


@dataclass(frozen=True)
class EvolutionQR:
    state: str  # a ChannelStatus value
    base64: str | None = None  # a complete data: URI
    pairing_code: str | None = None


def evolution_webhook_url(channel: Channel) -> str:
    return (
        f"{str(settings.PUBLIC_BASE_URL).rstrip('/')}/webhooks/evolution/{channel.webhook_token}/"
    )


def _evo_client(channel: Channel, *, instance: str | None = None) -> EvolutionClient:
    return EvolutionClient(
        instance=instance or str(channel.config.get("instance_name") or ""),
        apikey=str(channel.secrets.get("apikey") or ""),
        base_url=channel.config.get("server_url") or None,
        global_apikey=settings.EVOLUTION_API_KEY or None,
    )


def _evo_error(exc: EvolutionError, *, field: str | None = None) -> ApplicationError:
    return ApplicationError(exc.message_pt_br, field=field)


def _evo_webhook_apply(channel: Channel, client: EvolutionClient) -> None:
    client.webhook_set(
        url=evolution_webhook_url(channel),
        events=list(evo.WEBHOOK_EVENTS),
        by_events=False,
        base64=False,
        headers={"apikey": client.apikey},
    )


def _evo_create(channel: Channel, name: str) -> None:
    """Create the instance with our own key (so a lost answer cannot lose the key) and store it."""
    if not settings.EVOLUTION_API_KEY:
        raise ApplicationError(
            "O servidor Evolution não está configurado (chave global ausente). Fale com o suporte."
        )
    token = pysecrets.token_hex(24).upper()
    client = EvolutionClient(
        instance=name,
        apikey=token,
        base_url=channel.config.get("server_url") or None,
        global_apikey=settings.EVOLUTION_API_KEY,
    )
    try:
        data = client.instance_create(token=token, qrcode=False)
    except EvolutionError as exc:
        field = "instance_name" if exc.code in ("name_taken", "validation") else None
        raise _evo_error(exc, field=field) from exc
    apikey = data.get("hash") if isinstance(data.get("hash"), str) and data.get("hash") else token
    channel.config = {**channel.config, "instance_name": name}
    channel.set_secrets({"apikey": apikey})
    channel.status = ChannelStatus.DISCONNECTED
    channel.status_changed_at = timezone.now()
    channel.save()


def _default_instance_name(tenant: Tenant) -> str:
    base = re.sub(r"[^a-z0-9-]", "-", tenant.slug.lower()).strip("-")[:30] or "clinica"
    return f"clinicrm-{base}-{pysecrets.token_hex(3)}"


def evolution_channel_setup(
    *, tenant: Tenant, actor: Any, instance_name: str | None = None
) -> Channel:
    """Create (or repair) the tenant's Evolution instance and point its webhook at us.

    New channel: creates the instance (named `instance_name` or a generated name). Existing
    channel: checks the instance still exists on the server (re-creates it with the same name
    when the server lost it) and sets the webhook again. The channel row is saved as soon as the
    server created the instance, so a failing webhook call can simply be retried.
    """
    name = (instance_name or "").strip().lower()
    if name and not INSTANCE_NAME_RE.match(name):
        raise ApplicationError(
            "Use de 3 a 50 letras minúsculas, números, hífen ou sublinhado.",
            field="instance_name",
        )
    channel = channel_get(tenant=tenant, provider=Provider.EVOLUTION)
    created = channel is None or not channel.config.get("instance_name")
    if channel is None:
        channel = Channel(
            tenant=tenant, provider=Provider.EVOLUTION, display_name="WhatsApp pessoal"
        )
    if created:
        _evo_create(channel, name or _default_instance_name(tenant))
    else:
        client = _evo_client(channel)
        try:
            state = client.connection_state()
        except EvolutionError as exc:
            if exc.code != "instance_not_found":
                raise _evo_error(exc) from exc
            _evo_create(channel, str(channel.config["instance_name"]))
            state = evo.STATE_CLOSE
        channel_status_set(
            channel=channel, status=EVOLUTION_STATES.get(state, ChannelStatus.DISCONNECTED)
        )
    audit_log_record(
        action="messaging.channel_create" if created else "messaging.channel_update",
        user=actor,
        tenant=tenant,
        obj=channel,
        details={"fields": ["instance_name", "apikey", "webhook"], "provider": channel.provider},
    )
    try:
        _evo_webhook_apply(channel, _evo_client(channel))
    except EvolutionError as exc:
        raise _evo_error(exc) from exc
    Channel.objects.filter(pk=channel.pk).update(
        config={**channel.config, "webhook_set_at": timezone.now().isoformat()}
    )
    channel.refresh_from_db()
    return channel


def _evolution_channel(tenant: Tenant) -> Channel:
    channel = channel_get(tenant=tenant, provider=Provider.EVOLUTION)
    if channel is None or not channel.config.get("instance_name"):
        raise ApplicationError("Crie a instância do WhatsApp primeiro.")
    return channel


def evolution_channel_state(*, tenant: Tenant) -> str:
    """Ask the server for the connection state and record it; returns a ChannelStatus value."""
    channel = _evolution_channel(tenant)
    try:
        state = _evo_client(channel).connection_state()
    except EvolutionError as exc:
        if exc.code == "instance_not_found":
            channel_status_set(channel=channel, status=ChannelStatus.DISCONNECTED)
        raise _evo_error(exc) from exc
    status = EVOLUTION_STATES.get(state, ChannelStatus.DISCONNECTED)
    channel_status_set(channel=channel, status=status)
    return str(status)


def evolution_channel_qr(*, tenant: Tenant, number: str | None = None) -> EvolutionQR:
    """Start (or continue) pairing: the current QR code, or a pairing code when `number` is
    given; `state` is open when the phone is already paired."""
    channel = _evolution_channel(tenant)
    digits = None
    if number:
        digits = phone_canonicalize(number, field="number").lstrip("+")
    try:
        result = _evo_client(channel).connect(number=digits)
    except EvolutionError as exc:
        raise _evo_error(exc) from exc
    status = EVOLUTION_STATES.get(result.state, ChannelStatus.CONNECTING)
    channel_status_set(channel=channel, status=status)
    qr = result.qrcode
    base64 = qr.base64 if qr and qr.base64 and qr.base64.startswith("data:image/") else None
    return EvolutionQR(
        state=str(status), base64=base64, pairing_code=qr.pairing_code if qr else None
    )


def evolution_channel_disconnect(*, tenant: Tenant, actor: Any) -> Channel:
    """Log the phone out of the instance (a new QR scan is needed to use it again)."""
    channel = _evolution_channel(tenant)
    try:
        _evo_client(channel).logout()
    except EvolutionError as exc:
        if exc.code != "instance_not_found":
            raise _evo_error(exc) from exc
    channel_status_set(channel=channel, status=ChannelStatus.DISCONNECTED)
    audit_log_record(
        action="messaging.channel_disconnect",
        user=actor,
        tenant=tenant,
        obj=channel,
        details={"fields": ["status"], "provider": channel.provider},
    )
    return channel
