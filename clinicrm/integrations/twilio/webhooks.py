"""`POST /webhooks/twilio/<channel_token>/inbound/` and `.../status/`: verify, store once, 200.

The token in the path routes the request to its channel; authentication is the
`X-Twilio-Signature` over our PUBLIC URL (settings.PUBLIC_BASE_URL + path + query) and every
received param, keyed with the channel's Auth Token. Unknown channel, missing or invalid
signature: 403 and nothing stored. A body that is not form data, or lacks MessageSid (and
MessageStatus for status callbacks): 400, nothing stored. Otherwise the raw body is stored as an
`InboundEvent` (with a status callback's `message_id` query parameter, the message its send
named: adapter.status_callback_url) deduplicated on the channel + MessageSid (+ MessageStatus:
several callbacks share one sid, twilio.md §4.1), processing is enqueued in the same
transaction, and the answer is 200 with empty TwiML (Twilio expects TwiML on the inbound URL).
"""

import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clinicrm.integrations.services import inbound_event_enqueue, inbound_event_store
from clinicrm.integrations.twilio import constants as c
from clinicrm.integrations.twilio.adapter import REFERENCE_PARAM, form_params
from clinicrm.integrations.twilio.signature import public_url, signature_is_valid
from clinicrm.messaging.crypto import SecretDecryptError
from clinicrm.messaging.models import Channel, Provider
from clinicrm.messaging.providers import MalformedEvent

logger = logging.getLogger(__name__)

# Twilio's SID format (MessageSid: SM/MM + 32 hex); anything else is not a Twilio message.
_SID_PREFIXES = ("SM", "MM")


def _text(body: str, status: int) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain")


def _twiml_ok() -> HttpResponse:
    return HttpResponse(c.EMPTY_TWIML, status=200, content_type="text/xml")


def _valid_sid(value: str) -> bool:
    if len(value) != 34 or not value.startswith(_SID_PREFIXES):
        return False
    return all(ch in "0123456789abcdefABCDEF" for ch in value[2:])


def _auth_token(channel: Channel) -> str:
    try:
        return str(channel.secrets.get("auth_token", "") or "")
    except SecretDecryptError:
        return ""


def _receive(request: HttpRequest, channel_token: str, kind: str) -> HttpResponse:
    channel = (
        Channel.objects.select_related("tenant")
        .filter(webhook_token=channel_token, provider=Provider.TWILIO)
        .first()
    )
    if channel is None:
        logger.warning("twilio webhook refused: unknown channel")
        return _text("forbidden", 403)
    body = request.body
    try:
        params = form_params(body)
    except MalformedEvent:
        params = None
    signature = request.headers.get(c.SIGNATURE_HEADER)
    if not signature_is_valid(
        url=public_url(request),
        params=params or [],
        signature=signature,
        auth_token=_auth_token(channel),
    ):
        logger.warning("twilio webhook refused: bad or missing signature channel=%s", channel.pk)
        return _text("forbidden", 403)
    if params is None:
        return _text("malformed body", 400)
    fields = dict(params)
    sid = fields.get("MessageSid", "")
    account = fields.get("AccountSid", "")
    expected_account = str((channel.config or {}).get("account_sid", ""))
    if not _valid_sid(sid) or (expected_account and account and account != expected_account):
        return _text("missing or invalid MessageSid", 400)
    reference = ""
    if kind == "status":
        status = fields.get("MessageStatus") or fields.get("SmsStatus") or ""
        if not status or not status.isascii() or len(status) > 40:
            return _text("missing MessageStatus", 400)
        event_id = f"{channel.pk}:{sid}:{status.lower()}"
        event_type = c.EVENT_STATUS_PREFIX + status.lower()
        # The message this send's StatusCallback URL named (signed with the rest of the URL).
        reference = request.GET.get(REFERENCE_PARAM, "")[:40]
    else:
        event_id = f"{channel.pk}:{sid}"
        event_type = c.EVENT_INBOUND
    with transaction.atomic():
        event, created = inbound_event_store(
            provider=c.PROVIDER,
            event_id=event_id,
            event_type=event_type,
            body=body,
            headers=request.headers,
            tenant=channel.tenant,
            channel_key=str(channel.pk),
            reference=reference,
        )
        if created:
            # Outbox: the task row commits with the event.
            inbound_event_enqueue(event=event)
    logger.info("twilio webhook stored event=%s type=%s new=%s", event.pk, event_type, created)
    return _twiml_ok()


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest, channel_token: str) -> HttpResponse:
    return _receive(request, channel_token, "inbound")


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest, channel_token: str) -> HttpResponse:
    return _receive(request, channel_token, "status")
