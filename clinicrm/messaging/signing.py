"""Signed, expiring URLs for message media (files never have a public URL).

The token signs (message id, tenant id) with Django's TimestampSigner under a dedicated salt; the
view checks the signature and age, then that the message still belongs to that tenant. A member
logged in to ANOTHER tenant is refused even with a valid token; an anonymous request with a valid
token is served, because providers (Twilio `MediaUrl`) fetch outbound media without a session.

A token lives 15 minutes, unless it was signed with an end of its own (`until`): an LGPD export
signs its media links to die with the export's download link (`compliance/lgpd/services.py`),
since the patient opens them long after the export was built. The end is inside the signature.
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

SALT = "clinicrm.messaging.media"
DEFAULT_TTL_SECONDS = 15 * 60


def media_token(*, message_id: int, tenant_id: Any, until: dt.datetime | None = None) -> str:
    data: dict[str, Any] = {"m": message_id, "t": str(tenant_id)}
    if until is not None:
        data["u"] = int(until.timestamp())
    return signing.TimestampSigner(salt=SALT).sign_object(data)


def media_token_read(token: str, *, max_age: int = DEFAULT_TTL_SECONDS) -> tuple[int, str] | None:
    """(message id, tenant id) of a valid, unexpired token; None otherwise. A token with its
    own end (`until`) is valid until then; any other for `max_age` seconds."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        data = signer.unsign_object(token)  # the signature; the age is checked below
        if not isinstance(data, dict):
            return None
        if "u" in data:
            if timezone.now().timestamp() >= int(data["u"]):
                return None
        else:
            signer.unsign_object(token, max_age=max_age)
        return int(data["m"]), str(data["t"])
    except (signing.BadSignature, KeyError, ValueError, TypeError):  # SignatureExpired too
        return None


def media_signed_url(
    *, message: Any, absolute: bool = False, until: dt.datetime | None = None
) -> str:
    """`until`: the link's end instead of the usual 15 minutes (LGPD exports)."""
    token = media_token(message_id=message.pk, tenant_id=message.tenant_id, until=until)
    path = reverse("messaging:media", kwargs={"token": token})
    return f"{settings.PUBLIC_BASE_URL}{path}" if absolute else path
