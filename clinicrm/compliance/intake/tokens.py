"""The public link of an intake invite: a signed token naming the invite.

The invite id is a random UUID (unguessable by itself); the signature makes a tampered or
invented token fail before any database lookup. Expiry and use are decided by the invite row
(`expires_at`, its submission), not by the token, so a clinic can see why a link stopped working.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from clinicrm.compliance.intake.models import IntakeInvite

SALT = "clinicrm.intake-invite"


def intake_invite_token(*, invite: IntakeInvite) -> str:
    """`<invite id>:<signature>`; the same link every time the clinic looks at the invite."""
    return signing.Signer(salt=SALT).sign(str(invite.pk))


def intake_invite_id_from_token(*, token: str) -> str | None:
    """The invite id a genuine token names, or None for a forged or malformed one."""
    try:
        return signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None


def intake_invite_url(*, invite: IntakeInvite) -> str:
    token = intake_invite_token(invite=invite)
    path = reverse("compliance:intake_public", kwargs={"intake_token": token})
    return f"{settings.PUBLIC_BASE_URL}{path}"
