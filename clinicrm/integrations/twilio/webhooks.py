"""`POST /webhooks/twilio/<channel_token>/inbound/` and `.../status/`: verify, store once, 200.

The token in the path routes the request to its channel; authentication is the
`X-Twilio-Signature` over our PUBLIC URL (settings.PUBLIC_BASE_URL + path + query) and every
received param, keyed with the channel's Auth Token. Unknown channel, missing or invalid
signature: 403 and nothing stored (the signature covers the body, so a signed request's body is
read under the site's default limit before it is checked). A body that is not form data, or
lacks MessageSid (and MessageStatus for status callbacks): 400, nothing stored. A signed
delivery for another Twilio account than the channel's: 403 "account mismatch". Otherwise the
raw body is stored as an `InboundEvent` (with a status callback's `message_id` query parameter,
the message its send named: adapter.status_callback_url) deduplicated on the channel +
MessageSid (+ MessageStatus: several callbacks share one sid, docs/providers/twilio.md §4.1),
through the one webhook road (`integrations.webhooks`); the answer is 200 with empty TwiML (Twilio
expects TwiML on the inbound URL).
"""

from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse

from clinicrm.integrations.twilio import constants as c
from clinicrm.integrations.twilio.adapter import REFERENCE_PARAM, form_params
from clinicrm.integrations.twilio.signature import public_url, signature_is_valid
from clinicrm.integrations.webhooks import (
    Malformed,
    Refused,
    WebhookEndpoint,
    channel_by_token,
)
from clinicrm.messaging.crypto import SecretDecryptError
from clinicrm.messaging.models import Channel, Provider
from clinicrm.messaging.providers import MalformedEvent

# Twilio's SID format (MessageSid: SM/MM + 32 hex); anything else is not a Twilio message.
_SID_PREFIXES = ("SM", "MM")


def _valid_sid(value: str) -> bool:
    if len(value) != 34 or not value.startswith(_SID_PREFIXES):
        return False
    return all(ch in "0123456789abcdefABCDEF" for ch in value[2:])


def _auth_token(channel: Channel) -> str:
    try:
        return str(channel.secrets.get("auth_token", "") or "")
    except SecretDecryptError:
        return ""


class TwilioWebhook(WebhookEndpoint):
    provider = c.PROVIDER
    refused_status = 403
    kind: ClassVar[str] = "inbound"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self._channel: Channel | None = None

    def authenticate(self) -> bool:
        token = str(self.kwargs.get("channel_token") or "")
        channel = channel_by_token(token=token, provider=Provider.TWILIO, active_only=False)
        if channel is None:
            raise Refused(403, "forbidden")
        if not self.request.headers.get(c.SIGNATURE_HEADER):
            raise Refused(403, "forbidden")
        self._channel = channel
        return False  # the signature covers the params: verify_body

    def parse(self, body: bytes) -> Any:
        try:
            return dict(form_params(body))
        except MalformedEvent as exc:
            raise Malformed() from exc

    def verify_body(self, *, body: bytes, payload: Any) -> bool:
        assert self._channel is not None
        try:
            params = form_params(body) if payload is not None else []
        except MalformedEvent:
            params = []
        return signature_is_valid(
            url=public_url(self.request),
            params=params,
            signature=self.request.headers.get(c.SIGNATURE_HEADER),
            auth_token=_auth_token(self._channel),
        )

    def validate(self, payload: Any) -> None:
        assert self._channel is not None
        expected = str((self._channel.config or {}).get("account_sid", ""))
        account = payload.get("AccountSid", "")
        if expected and account and account != expected:
            raise Refused(403, "account mismatch: AccountSid is not the channel's account")
        if not _valid_sid(payload.get("MessageSid", "")):
            raise Malformed("missing or invalid MessageSid")
        if self.kind == "status":
            status = self._status(payload)
            if not status or not status.isascii() or len(status) > 40:
                raise Malformed("missing MessageStatus")

    @staticmethod
    def _status(payload: Any) -> str:
        return str(payload.get("MessageStatus") or payload.get("SmsStatus") or "")

    def event_type(self, payload: Any) -> str:
        if self.kind == "status":
            return c.EVENT_STATUS_PREFIX + self._status(payload).lower()
        return c.EVENT_INBOUND

    def event_id(self, payload: Any) -> str:
        sid = payload["MessageSid"]
        return f"{sid}:{self._status(payload).lower()}" if self.kind == "status" else sid

    def channel(self) -> Channel | None:
        return self._channel

    def reference(self, payload: Any) -> str:
        # The message this send's StatusCallback URL named (signed with the rest of the URL).
        return self.request.GET.get(REFERENCE_PARAM, "")[:40] if self.kind == "status" else ""

    def accepted(self) -> HttpResponse:
        return HttpResponse(c.EMPTY_TWIML, status=200, content_type="text/xml")


class TwilioStatusWebhook(TwilioWebhook):
    kind = "status"


twilio_inbound = TwilioWebhook.as_view()
twilio_status = TwilioStatusWebhook.as_view()
