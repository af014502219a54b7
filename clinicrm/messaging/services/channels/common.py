"""Reads and helpers shared by the channel services."""

from clinicrm.core.models import Tenant
from clinicrm.messaging.models import Channel, Provider


def channel_get(*, tenant: Tenant, provider: str) -> Channel | None:
    """The tenant's channel of `provider` (the active one first, then the newest)."""
    return (
        Channel.objects.filter(tenant=tenant, provider=provider)
        .order_by("-is_active", "-id")
        .first()
    )


def channel_is_configured(channel: Channel) -> bool:
    """Credentials saved (Evolution: instance + key; Twilio: account, sender and token)."""
    if not channel.secrets_encrypted:
        return False
    if channel.provider == Provider.EVOLUTION:
        return bool(channel.config.get("instance_name"))
    return bool(channel.config.get("account_sid") and channel.config.get("sender"))
