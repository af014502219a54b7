"""Tenant-isolation walker hooks for the integrations URLs (webhooks only: no tenant kwargs)."""

from collections.abc import Callable

from clinicrm.core.models import Tenant

FACTORIES: dict[str, Callable[[Tenant], str]] = {}

EXEMPT: dict[str, str] = {
    "integrations:asaas_webhook": (
        "Asaas webhook: authenticated by the asaas-access-token header, not by a tenant session; "
        "the tenant comes from the purchase matched to the payment."
    ),
    "integrations:evolution_webhook": (
        "Evolution webhook: routed by the channel's unguessable webhook_token and authenticated "
        "by the instance apikey (header/body/JWT), not by a tenant session; the tenant is the "
        "channel's."
    ),
    "integrations:evolution_webhook_event": (
        "Evolution webhook with the per-event suffix (webhook_by_events): same token + apikey "
        "authentication as integrations:evolution_webhook."
    ),
    "integrations:twilio_inbound": (
        "Twilio inbound webhook: routed by the channel's unguessable webhook_token and "
        "authenticated by X-Twilio-Signature with the channel's Auth Token, not by a tenant "
        "session; the tenant is the channel's."
    ),
    "integrations:twilio_status": (
        "Twilio status callback: same token routing and X-Twilio-Signature authentication as "
        "integrations:twilio_inbound."
    ),
}
