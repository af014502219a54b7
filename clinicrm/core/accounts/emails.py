"""Account e-mails (password reset, invitation), rendered and sent when the task runs.

The signed link is made here, at send time, so no token ever sits in the task table. Links
are built on PUBLIC_BASE_URL, never on the request's Host header (which a client chooses).
"""

from typing import Literal

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from clinicrm.core.accounts.tokens import invite_token_generator, password_reset_token_generator
from clinicrm.core.models import Tenant, User

type EmailKind = Literal["password_reset", "invite"]


def duration_label(seconds: int) -> str:
    """1 hora, 3 horas, 7 dias (the validity of a link, as the e-mails and pages say it)."""
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} dia{'s' if days != 1 else ''}"
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hora{'s' if hours != 1 else ''}"
    minutes = max(1, seconds // 60)
    return f"{minutes} minuto{'s' if minutes != 1 else ''}"


def account_link(*, user: User, kind: EmailKind) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    if kind == "invite":
        path = reverse("core:invite_accept", kwargs={"uidb64": uid, "token": _token(user, kind)})
    else:
        path = reverse(
            "core:password_reset_confirm", kwargs={"uidb64": uid, "token": _token(user, kind)}
        )
    return settings.PUBLIC_BASE_URL + path


def _token(user: User, kind: EmailKind) -> str:
    generator = invite_token_generator if kind == "invite" else password_reset_token_generator
    return generator.make_token(user)


def account_email_send(
    *, user: User, kind: EmailKind, tenant: Tenant | None = None, inviter: User | None = None
) -> None:
    timeout = (
        settings.INVITE_TIMEOUT_SECONDS if kind == "invite" else settings.PASSWORD_RESET_TIMEOUT
    )
    context = {
        "user": user,
        "tenant": tenant,
        "inviter_name": (inviter.get_full_name() or inviter.email) if inviter else "",
        "link": account_link(user=user, kind=kind),
        "valid_for": duration_label(timeout),
        "login_url": settings.PUBLIC_BASE_URL + reverse("core:login"),
    }
    subject = "".join(render_to_string(f"core/emails/{kind}_subject.txt", context).splitlines())
    body = render_to_string(f"core/emails/{kind}.txt", context)
    send_mail(subject, body, None, [user.email])
