"""`POST /webhooks/evolution/<channel_token>/[<event_suffix>]`: verify, store once, answer 200.

The URL token routes the delivery to its channel (active, provider evolution); authentication is
the instance's apikey, which the CRM sets as a static `apikey` header through `/webhook/set`
(docs/providers/evolution.md §3.1). The body's own `apikey` field (only filled when the server
exposes keys) and an `Authorization: Bearer` HS256 JWT signed with the apikey (the `jwt_key` header
mechanism) are accepted too. Every comparison is constant-time; a missing key is a refusal. Failed
authentication -> 401 and nothing stored; an unparseable body -> 400 and nothing stored. The road
itself (headers checked before the body is read, limits, storage) is `WebhookEndpoint`'s.

With WEBHOOK_BASE64 on, media arrive inline as base64: an authenticated delivery may be up to
64 MB (an unauthenticated one, proving itself by the envelope's `apikey`, only the site's
default). The envelope's `apikey` value, when the server fills it, is stored as `null`.

Deduplication ids (docs/providers/evolution.md §7 item 1): messages by (event, key.id), status
updates by (keyId, status), other events by a hash of event + date_time + data (a retry re-sends the
same body, a new emission has a new date_time).
"""

import hashlib
import hmac
import json
import logging
import re
from typing import Any

import jwt
from django.http import HttpRequest

from clinicrm.integrations.evolution import constants as c
from clinicrm.integrations.webhooks import (
    WEBHOOK_BODY_MAX,
    Malformed,
    Refused,
    WebhookEndpoint,
    channel_by_token,
)
from clinicrm.messaging.crypto import SecretDecryptError
from clinicrm.messaging.models import Channel, Provider

logger = logging.getLogger(__name__)


def _same(received: Any, expected: str) -> bool:
    if not expected or not isinstance(received, str) or not received:
        return False
    return hmac.compare_digest(received.encode(), expected.encode())


def jwt_is_valid(authorization: str | None, secret: str) -> bool:
    """HS256 JWT as Evolution's `jwt_key` produces it ({iat, exp, app, action}), by PyJWT:
    signature, algorithm pinned to HS256, `exp` required and not past."""
    if not secret or not authorization or not authorization.startswith("Bearer "):
        return False
    try:
        jwt.decode(
            authorization[7:].strip(), secret, algorithms=["HS256"], options={"require": ["exp"]}
        )
    except jwt.InvalidTokenError:
        return False
    return True


def event_id_for(event: str, payload: dict[str, Any]) -> str:
    data = payload.get("data")
    items = data if isinstance(data, list) else [data]
    if event in (c.MESSAGES_UPSERT, c.SEND_MESSAGE, c.MESSAGES_DELETE):
        ids = [
            str((i.get("key") or {}).get("id") or "")
            for i in items
            if isinstance(i, dict) and isinstance(i.get("key"), dict)
        ]
        if ids and all(ids):
            return f"{event}:{','.join(ids)}"[:255]
    if event == c.MESSAGES_UPDATE:
        parts = [
            f"{i.get('keyId') or ''}:{i.get('status') or ''}" for i in items if isinstance(i, dict)
        ]
        if parts and all(p.split(":")[0] for p in parts):
            return f"{event}:{','.join(parts)}"[:255]
    canonical = json.dumps(
        [event, payload.get("date_time"), data], sort_keys=True, separators=(",", ":")
    )
    return f"{event}:h:{hashlib.sha256(canonical.encode()).hexdigest()}"


# `"apikey": "<string>"` as a key and its value in the raw body (a JSON string literal).
_APIKEY_MEMBER = re.compile(rb'(?<!\\)("apikey"\s*:\s*)("(?:[^"\\]|\\.)*")', re.DOTALL)


def apikey_strip(body: bytes, apikey: str) -> bytes:
    """The body with every `"apikey": "<apikey>"` member's value replaced by `null`, every
    other byte as received (the envelope carries the instance token when the server exposes
    keys: a secret that must not be stored)."""

    def _null(match: re.Match[bytes]) -> bytes:
        try:
            value = json.loads(match.group(2))
        except ValueError:
            return match.group(0)
        return match.group(1) + b"null" if value == apikey else match.group(0)

    return _APIKEY_MEMBER.sub(_null, body)


class EvolutionWebhook(WebhookEndpoint):
    provider = c.PROVIDER
    # WEBHOOK_BASE64 puts media bytes in the body: a 16 MB video is ~22 MB of base64.
    body_max = WEBHOOK_BODY_MAX

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self._channel: Channel | None = None
        self._secret = ""

    def authenticate(self) -> bool:
        token = str(self.kwargs.get("channel_token") or "")
        channel = channel_by_token(token=token, provider=Provider.EVOLUTION, active_only=True)
        if channel is not None:
            try:
                self._secret = str(channel.secrets.get("apikey") or "")
            except SecretDecryptError:  # unreadable secrets: refuse like a wrong key
                logger.warning("evolution channel %s secrets unreadable", channel.pk)
        if channel is None or not self._secret:
            raise Refused(401, "unauthorized")
        self._channel = channel
        headers = self.request.headers
        return _same(headers.get("apikey"), self._secret) or jwt_is_valid(
            headers.get("Authorization"), self._secret
        )

    def verify_body(self, *, body: bytes, payload: Any) -> bool:
        # The envelope's own `apikey` (filled only when the server exposes keys).
        return isinstance(payload, dict) and _same(payload.get("apikey"), self._secret)

    def validate(self, payload: Any) -> None:
        event_type = payload.get("event")
        if not isinstance(event_type, str) or not event_type or "data" not in payload:
            raise Malformed("missing event or data")
        suffix = self.kwargs.get("event_suffix")
        if suffix and c.event_suffix(event_type) != suffix.strip("/").lower():
            raise Malformed("event does not match the URL")
        assert self._channel is not None
        instance = (self._channel.config or {}).get("instance_name")
        if instance and payload.get("instance") not in (None, instance):
            raise Refused(401, "unauthorized")

    def event_type(self, payload: Any) -> str:
        return str(payload["event"])

    def event_id(self, payload: Any) -> str:
        return event_id_for(str(payload["event"]), payload)

    def channel(self) -> Channel | None:
        return self._channel

    def stored_body(self, *, body: bytes, payload: Any) -> bytes:
        if isinstance(payload.get("apikey"), str) and payload["apikey"]:
            return apikey_strip(body, payload["apikey"])
        return body


evolution_webhook = EvolutionWebhook.as_view()
