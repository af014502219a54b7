"""`POST /webhooks/evolution/<channel_token>/[<event_suffix>]`: verify, store once, answer 200.

The URL token routes the delivery to its channel (active, provider evolution); authentication is
the instance's apikey, which the CRM sets as a static `apikey` header through `/webhook/set`
(evolution.md §3.1). The body's own `apikey` field (only filled when the server exposes keys) and
an `Authorization: Bearer` HS256 JWT signed with the apikey (the `jwt_key` header mechanism) are
accepted too. Every comparison is constant-time; a missing key is a refusal. Failed
authentication -> 401 and nothing stored; an unparseable body -> 400 and nothing stored.

Deduplication ids (evolution.md §7 item 1): messages by (event, key.id), status updates by
(keyId, status), other events by a hash of event + date_time + data (a retry re-sends the same
body, a new emission has a new date_time).
"""

import base64
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clinicrm.integrations.evolution import constants as c
from clinicrm.integrations.services_drain import inbound_event_receive

logger = logging.getLogger(__name__)


def _text(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain")


def _same(received: Any, expected: str) -> bool:
    if not expected or not isinstance(received, str) or not received:
        return False
    return hmac.compare_digest(received.encode(), expected.encode())


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt_is_valid(authorization: str | None, secret: str) -> bool:
    """HS256 JWT as Evolution's `jwt_key` produces it: {iat, exp, app, action}."""
    if not secret or not authorization or not authorization.startswith("Bearer "):
        return False
    parts = authorization[7:].strip().split(".")
    if len(parts) != 3:
        return False
    signing = f"{parts[0]}.{parts[1]}".encode()
    expected = base64.urlsafe_b64encode(
        hmac.new(secret.encode(), signing, hashlib.sha256).digest()
    ).rstrip(b"=")
    if not hmac.compare_digest(expected, parts[2].encode()):
        return False
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
    except ValueError:
        return False
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        return False
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return isinstance(exp, int) and exp >= time.time()


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


@dataclass(frozen=True)
class _Known:
    """What a delivery needs of its channel, remembered per process by webhook token."""

    pk: int
    tenant_id: Any
    instance: str | None
    secret: str
    secrets_encrypted: str
    updated_at: Any


# token -> channel facts. No TTL is needed: a delivery authenticated against a remembered entry
# is inserted only if the channel row still is active with the same token, secrets and
# updated_at (activation, deactivation, key rotation and every save change updated_at); if not,
# the entry is dropped and the delivery takes the uncached path (fresh row, fresh answer).
_KNOWN: dict[str, _Known] = {}
_KNOWN_MAX = 10_000


# The guarded insert's condition: the remembered facts still hold for the channel row.
_GUARD = (
    "EXISTS (SELECT 1 FROM whatsapp_channels WHERE id = %s AND is_active AND"
    " webhook_token = %s AND secrets_encrypted = %s AND updated_at = %s)"
)


def _channel(token: str) -> _Known | None:
    from clinicrm.messaging.models import Channel, Provider

    channel = (
        Channel.objects.filter(webhook_token=token, provider=Provider.EVOLUTION, is_active=True)
        .only("pk", "tenant_id", "config", "secrets_encrypted", "updated_at")
        .first()
    )
    if channel is None:
        return None
    try:
        secret = str(channel.secrets.get("apikey") or "")
    except Exception:  # undecryptable secrets: refuse like a wrong key
        logger.exception("evolution channel %s secrets unreadable", channel.pk)
        secret = ""
    known = _Known(
        pk=channel.pk,
        tenant_id=channel.tenant_id,
        instance=(channel.config or {}).get("instance_name"),
        secret=secret,
        secrets_encrypted=channel.secrets_encrypted,
        updated_at=channel.updated_at,
    )
    if secret:
        if len(_KNOWN) >= _KNOWN_MAX:
            _KNOWN.clear()
        _KNOWN[token] = known
    return known


@csrf_exempt
@require_POST
def evolution_webhook(
    request: HttpRequest, channel_token: str, event_suffix: str | None = None
) -> HttpResponse:
    known = _KNOWN.get(channel_token)
    if known is not None:
        response = _receive(request, known, channel_token, event_suffix, remembered=True)
        if response is not None:
            return response
        _KNOWN.pop(channel_token, None)  # changed channel (or a duplicate): ask the database
    response = _receive(request, _channel(channel_token), channel_token, event_suffix)
    assert response is not None
    return response


def _receive(
    request: HttpRequest,
    channel: _Known | None,
    token: str,
    event_suffix: str | None,
    remembered: bool = False,
) -> HttpResponse | None:
    """Verify, parse and store. With a `remembered` channel, None means "not sure: retry with
    the channel read from the database" (refused key, or the guarded insert found no row)."""
    secret = channel.secret if channel is not None else ""
    body = request.body
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        payload = None
    authed = _same(request.headers.get("apikey"), secret) or jwt_is_valid(
        request.headers.get("Authorization"), secret
    )
    if not authed and isinstance(payload, dict):
        authed = _same(payload.get("apikey"), secret)
    if channel is None or not authed:
        if remembered:
            return None
        logger.warning("evolution webhook refused: unknown channel or bad apikey")
        return _text(401, "unauthorized")
    if not isinstance(payload, dict):
        return _text(400, "malformed body")
    event_type = payload.get("event")
    if not isinstance(event_type, str) or not event_type or "data" not in payload:
        return _text(400, "missing event or data")
    if event_suffix and c.event_suffix(event_type) != event_suffix.strip("/").lower():
        return _text(400, "event does not match the URL")
    if channel.instance and payload.get("instance") not in (None, channel.instance):
        return _text(401, "unauthorized")
    guard, guard_params = "", ()  # type: tuple[str, tuple[Any, ...]]
    if remembered:
        from clinicrm.messaging.models import Channel

        updated_at = Channel._meta.get_field("updated_at").get_db_prep_value(
            channel.updated_at, connection
        )
        guard = _GUARD
        guard_params = (channel.pk, token, channel.secrets_encrypted, updated_at)
    pk = inbound_event_receive(
        provider=c.PROVIDER,
        event_id=f"{channel.pk}:{event_id_for(event_type, payload)}",
        event_type=event_type,
        body=body,
        headers=request.headers,
        tenant_id=channel.tenant_id,
        channel_key=str(channel.pk),
        guard=guard,
        guard_params=guard_params,
    )
    if pk is None and remembered:
        return None
    logger.debug("evolution webhook stored event=%s type=%s new=%s", pk, event_type, pk is not None)
    return _text(200, "ok")
