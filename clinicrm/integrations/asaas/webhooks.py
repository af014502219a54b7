"""`POST /webhooks/asaas/`: verify the shared token, store the event once, answer 200 fast.

Asaas pauses a webhook queue after 15 non-200 answers (redirects, 201 and 204 included), so a
stored or duplicate event always gets exactly 200. Only a wrong token (401) and a body we cannot
even identify (400) are refused; neither stores anything. The road (token checked before the
body is read, storage, processing in order by one drain) is `integrations.webhooks`'.
"""

import hmac
from typing import Any

from django.conf import settings

from clinicrm.integrations.asaas import constants as c
from clinicrm.integrations.webhooks import Malformed, Refused, WebhookEndpoint


def token_is_valid(received: str | None) -> bool:
    expected = getattr(settings, "ASAAS_WEBHOOK_TOKEN", "") or ""
    if not expected or not received:
        # A missing secret is a configuration error: never accept unauthenticated deliveries.
        return False
    return hmac.compare_digest(received.encode(), expected.encode())


class AsaasWebhook(WebhookEndpoint):
    provider = c.PROVIDER

    def authenticate(self) -> bool:
        if not token_is_valid(self.request.headers.get(c.WEBHOOK_TOKEN_HEADER)):
            raise Refused(401, "unauthorized")
        return True

    def validate(self, payload: Any) -> None:
        event_id, event_type = payload.get("id"), payload.get("event")
        if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
            raise Malformed("missing id or event")

    def event_type(self, payload: Any) -> str:
        return str(payload["event"])

    def event_id(self, payload: Any) -> str:
        return str(payload["id"])


asaas_webhook = AsaasWebhook.as_view()
