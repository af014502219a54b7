"""The one road every provider webhook takes (Zulip's and Sentry's shape).

A provider subclasses `WebhookEndpoint` and says how to authenticate a delivery, which event it
is and which channel it belongs to; the base does the rest, in this order:

1. `authenticate()` from the URL and the headers only (channel by URL token, header key, shared
   token): a stranger is refused with 401/403 before a byte of the body is read or parsed. It
   returns True when the headers proved the caller, False when the proof is inside the body
   (Twilio signs the form params; Evolution may put its key in the envelope): such a body is
   capped at the site's default upload size and `verify_body()` must then prove it.
2. The body is read under the route's limit (`body_max`: Content-Length first, then a capped
   read): 413 past it. Routes carrying media inline (Evolution with WEBHOOK_BASE64) raise it;
   the rest of the site keeps Django's default (`DATA_UPLOAD_MAX_MEMORY_SIZE`).
3. `parse()` turns it into a payload or raises `Malformed` (400; a body nested deeply enough to
   exhaust the parser is malformed too, never a 500). `validate()` refuses what is well formed
   but wrong (`Refused` with its status and a reason).
4. The event is stored once under (provider, `event_id()`), tied to `channel()`, with the body
   as `stored_body()` gives it (the raw bytes, less any secret the provider put in them), and a
   drain of its stream is requested in the same transaction (`services_drain`).
5. 200 (`accepted()`), for a new event and for a resend alike.

Answers are short plain text for a server to log: no personal data, no secrets.
"""

import functools
import json
import logging
from typing import Any, ClassVar

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from clinicrm.core.log_context import log_tenant_set
from clinicrm.core.rls import rls_bypass
from clinicrm.integrations.services_drain import inbound_event_receive
from clinicrm.messaging.models import Channel

logger = logging.getLogger(__name__)

# The largest body any webhook route accepts (Evolution's inline base64 media, 64 MB), also
# enforced in front of Django's ASGI handler (integrations/asgi.py).
WEBHOOK_BODY_MAX = 64 * 1024 * 1024


class Refused(Exception):
    """The delivery is refused with `status` and a short `reason` (plain text, no data)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Malformed(Refused):
    """The body cannot be read as the provider's format: 400."""

    def __init__(self, reason: str = "malformed body") -> None:
        super().__init__(400, reason)


def text_response(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain")


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or `Malformed` (RecursionError included: a deeply nested
    body exhausts the parser's stack, which is bad input, not a server error)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise Malformed() from exc
    if not isinstance(payload, dict):
        raise Malformed()
    return payload


def site_body_max() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or WEBHOOK_BODY_MAX)


def body_read(request: HttpRequest, *, limit: int) -> bytes:
    """The request body, at most `limit` bytes (413 past it), read without Django's site-wide
    `request.body` cap. Content-Length is checked before anything is read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise Refused(400, "invalid content length") from exc
    if length > limit:
        raise Refused(413, "body too large")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise Refused(413, "body too large")
    return body


# What a webhook reads of its channel (in the model's field order; the rest stays deferred).
_CHANNEL_COLUMNS = tuple(
    f
    for f in Channel._meta.concrete_fields
    if f.attname in ("id", "tenant_id", "provider", "config", "secrets_encrypted")
)
CHANNEL_FIELDS = tuple(f.attname for f in _CHANNEL_COLUMNS)
_TOKEN = object()  # stands for the delivery's token in the compiled query's parameters


@functools.cache
def _channel_query(vendor: str, provider: str, active_only: bool) -> tuple[str, tuple[Any, ...]]:
    """The ORM's SQL of the webhook's channel lookup, compiled once per process: compiling the
    queryset cost more CPU than the rest of a delivery's view (bench.webhooks_profile), and
    only the token changes from one delivery to the next."""
    found = Channel.objects.filter(webhook_token="", provider=provider)
    if active_only:
        found = found.filter(is_active=True)
    sql, params = found.order_by().values_list(*CHANNEL_FIELDS)[:1].query.sql_with_params()
    position = params.index("")  # the token's parameter (the only empty one)
    return sql, tuple(_TOKEN if n == position else p for n, p in enumerate(params))


def channel_by_token(*, token: str, provider: str, active_only: bool) -> Channel | None:
    """The channel the webhook URL's token names (`CHANNEL_FIELDS` loaded), read fresh at
    every delivery (no cache: a deactivated channel or a rotated secret counts from the next
    delivery on)."""
    sql, template = _channel_query(connection.vendor, provider, active_only)
    with connection.cursor() as cursor:
        cursor.execute(sql, [token if p is _TOKEN else p for p in template])
        row = cursor.fetchone()
    if row is None:
        return None
    values = []
    for field, value in zip(_CHANNEL_COLUMNS, row, strict=True):
        col = field.get_col(Channel._meta.db_table)
        for convert in connection.ops.get_db_converters(col) + field.get_db_converters(connection):
            value = convert(value, col, connection)
        values.append(value)
    return Channel.from_db(connection.alias, CHANNEL_FIELDS, values)


@method_decorator(csrf_exempt, name="dispatch")
class WebhookEndpoint(View):
    """Base of every provider webhook view (see the module docstring for the road)."""

    http_method_names = ["post"]
    provider: ClassVar[str]
    # The route's body limit; None = the site's default upload size.
    body_max: ClassVar[int | None] = None
    # Status for a body that did not prove its sender (401, or Twilio's 403).
    refused_status: ClassVar[int] = 401

    # --- what a provider says ------------------------------------------------------------

    def authenticate(self) -> bool:
        """Check the URL and headers (`self.request`, `self.kwargs`); raise `Refused` for a
        stranger. True: proven; False: the body must prove it (`verify_body`)."""
        raise NotImplementedError

    def verify_body(self, *, body: bytes, payload: Any) -> bool:
        """The proof inside the body (`payload` is None when it did not parse)."""
        return False

    def parse(self, body: bytes) -> Any:
        return json_object(body)

    def validate(self, payload: Any) -> None:
        """Refuse (`Refused`/`Malformed`) a well-formed delivery that is still wrong."""

    def event_type(self, payload: Any) -> str:
        raise NotImplementedError

    def event_id(self, payload: Any) -> str:
        """The provider's id of the event: resends of one event share it (deduplication)."""
        raise NotImplementedError

    def channel(self) -> Any:
        """The messaging channel the delivery belongs to (None: not a channel's event)."""
        return None

    def stream_key(self) -> str:
        """Events of one stream are processed in order by one drain: a channel's by default."""
        channel = self.channel()
        return str(channel.pk) if channel is not None else self.provider

    def reference(self, payload: Any) -> str:
        """Our own id the provider echoed back in the URL (signed with it), or ""."""
        return ""

    def stored_body(self, *, body: bytes, payload: Any) -> bytes:
        return body

    def accepted(self) -> HttpResponse:
        return text_response(200, "ok")

    # --- the road ----------------------------------------------------------------------------

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            # The channel is found by the URL's token before any tenant is known; the event's
            # processing task inherits the bypass (core/rls.py).
            with rls_bypass():
                return self._receive(request)
        except Refused as refused:
            if refused.status in (401, 403):
                logger.warning("%s webhook refused: %s", self.provider, refused.reason)
            return text_response(refused.status, refused.reason)

    def _receive(self, request: HttpRequest) -> HttpResponse:
        proven = self.authenticate()
        limit = self.body_max or site_body_max()
        body = body_read(request, limit=limit if proven else min(limit, site_body_max()))
        try:
            payload, malformed = self.parse(body), None
        except Malformed as exc:
            payload, malformed = None, exc
        if not proven and not self.verify_body(body=body, payload=payload):
            raise Refused(self.refused_status, "unauthorized")
        if malformed is not None:
            raise malformed
        self.validate(payload)
        event_type = self.event_type(payload)
        channel = self.channel()
        log_tenant_set(channel.tenant_id if channel is not None else None)
        event_id = self.event_id(payload)
        if channel is not None:  # one event reaches every channel it names: ids per channel
            event_id = f"{channel.pk}:{event_id}"
        pk = inbound_event_receive(
            provider=self.provider,
            event_id=event_id[:255],
            event_type=event_type,
            body=self.stored_body(body=body, payload=payload),
            headers=request.headers,
            tenant_id=channel.tenant_id if channel is not None else None,
            channel_key=self.stream_key(),
            reference=self.reference(payload),
        )
        logger.info(
            "%s webhook stored event=%s type=%s new=%s", self.provider, pk, event_type, bool(pk)
        )
        return self.accepted()
