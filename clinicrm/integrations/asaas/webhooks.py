"""`POST /webhooks/asaas/`: verify the shared token, store the event once, answer 200 fast.

Asaas pauses a webhook queue after 15 non-200 answers (redirects, 201 and 204 included), so a
stored or duplicate event always gets exactly 200. Only a wrong token (401) and a body we cannot
even identify (400) are refused; neither stores anything.
"""

import hmac
import json
import logging

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clinicrm.integrations.asaas import constants as c
from clinicrm.integrations.services import inbound_event_enqueue, inbound_event_store

logger = logging.getLogger(__name__)


def token_is_valid(received: str | None) -> bool:
    expected = getattr(settings, "ASAAS_WEBHOOK_TOKEN", "") or ""
    if not expected or not received:
        # A missing secret is a configuration error: never accept unauthenticated deliveries.
        return False
    return hmac.compare_digest(received.encode(), expected.encode())


@csrf_exempt
@require_POST
def asaas_webhook(request: HttpRequest) -> HttpResponse:
    if not token_is_valid(request.headers.get(c.WEBHOOK_TOKEN_HEADER)):
        logger.warning("asaas webhook refused: bad or missing token")
        return HttpResponse("unauthorized", status=401, content_type="text/plain")
    body = request.body
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return HttpResponse("malformed body", status=400, content_type="text/plain")
    if not isinstance(payload, dict):
        return HttpResponse("malformed body", status=400, content_type="text/plain")
    event_id, event_type = payload.get("id"), payload.get("event")
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        return HttpResponse("missing id or event", status=400, content_type="text/plain")
    with transaction.atomic():
        event, created = inbound_event_store(
            provider=c.PROVIDER,
            event_id=event_id,
            event_type=event_type,
            body=body,
            headers=request.headers,
        )
        if created:
            # Outbox: the task row commits with the event (django-tasks-db stores it in the DB).
            inbound_event_enqueue(event=event)
    logger.info("asaas webhook stored event=%s type=%s new=%s", event.pk, event_type, created)
    return HttpResponse("ok", status=200, content_type="text/plain")
