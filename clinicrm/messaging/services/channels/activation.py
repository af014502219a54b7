"""Activation: at most one active channel per tenant, switched in one transaction."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.core.services import audit_log_record
from clinicrm.messaging.models import Channel, Provider
from clinicrm.messaging.services.channels.common import channel_is_configured
from clinicrm.messaging.services.realtime import KIND_CHANNEL, realtime_event_emit

MSG_NOT_CONFIGURED = "Configure este canal antes de ativá-lo."
MSG_CONCURRENT = "Outra alteração de canal aconteceu ao mesmo tempo. Tente de novo."


def channel_activate(*, tenant: Tenant, actor: Any, provider: str) -> Channel:
    """Make the tenant's `provider` channel the active one; the other one stops in the same
    transaction. Idempotent when it is already active."""
    if provider not in Provider.values:
        raise ApplicationError("Provedor desconhecido.", field="provider")
    try:
        with transaction.atomic():
            rows = list(Channel.objects.select_for_update().filter(tenant=tenant).order_by("id"))
            mine = sorted(
                (c for c in rows if c.provider == provider), key=lambda c: (not c.is_active, -c.pk)
            )
            target = mine[0] if mine else None
            if target is None or not channel_is_configured(target):
                raise ApplicationError(MSG_NOT_CONFIGURED, field="provider")
            if target.is_active:
                return target
            others = [c for c in rows if c.is_active and c.pk != target.pk]
            now = timezone.now()
            # Off first: the partial UNIQUE index would refuse two active rows even briefly.
            Channel.objects.filter(pk__in=[c.pk for c in others]).update(
                is_active=False, updated_at=now
            )
            Channel.objects.filter(pk=target.pk).update(is_active=True, updated_at=now)
            target.is_active = True
            for other in others:
                audit_log_record(
                    action="messaging.channel_deactivate",
                    user=actor,
                    tenant=tenant,
                    obj=other,
                    details={"fields": ["is_active"], "provider": other.provider},
                )
            audit_log_record(
                action="messaging.channel_activate",
                user=actor,
                tenant=tenant,
                obj=target,
                details={"fields": ["is_active"], "provider": target.provider},
            )
            realtime_event_emit(
                tenant=tenant, kind=KIND_CHANNEL, payload={"channel": target.pk, "active": True}
            )
    except IntegrityError as exc:
        raise ApplicationError(MSG_CONCURRENT) from exc
    return target


def channel_deactivate(*, tenant: Tenant, actor: Any, provider: str) -> Channel | None:
    """Stop using the tenant's `provider` channel (credentials and pairing are kept)."""
    with transaction.atomic():
        channel = (
            Channel.objects.select_for_update()
            .filter(tenant=tenant, provider=provider, is_active=True)
            .first()
        )
        if channel is None:
            return None
        Channel.objects.filter(pk=channel.pk).update(is_active=False, updated_at=timezone.now())
        channel.is_active = False
        audit_log_record(
            action="messaging.channel_deactivate",
            user=actor,
            tenant=tenant,
            obj=channel,
            details={"fields": ["is_active"], "provider": provider},
        )
        realtime_event_emit(
            tenant=tenant, kind=KIND_CHANNEL, payload={"channel": channel.pk, "active": False}
        )
    return channel
