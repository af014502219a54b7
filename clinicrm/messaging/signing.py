"""Signed, expiring URLs for message media (files never have a public URL).

The token signs (message id, tenant id) with Django's TimestampSigner under a dedicated salt; the
view checks the signature and age, then that the message still belongs to that tenant. A member
logged in to ANOTHER tenant is refused even with a valid token; an anonymous request with a valid
token is served, because providers (Twilio `MediaUrl`) fetch outbound media without a session.
"""

from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "clinicrm.messaging.media"
DEFAULT_TTL_SECONDS = 15 * 60


def media_token(*, message_id: int, tenant_id: Any) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"m": message_id, "t": str(tenant_id)})


def media_token_read(token: str, *, max_age: int = DEFAULT_TTL_SECONDS) -> tuple[int, str] | None:
    """(message id, tenant id) of a valid, unexpired token; None otherwise."""
    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    try:
        return int(data["m"]), str(data["t"])
    except (KeyError, TypeError, ValueError):
        return None


def media_signed_url(*, message: Any, absolute: bool = False) -> str:
    path = reverse(
        "messaging:media",
        kwargs={"token": media_token(message_id=message.pk, tenant_id=message.tenant_id)},
    )
    return f"{settings.PUBLIC_BASE_URL}{path}" if absolute else path
