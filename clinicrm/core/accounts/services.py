"""Writes of the accounts area: login attempts, the login audit trail, password recovery."""

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinicrm.core.accounts.selectors import (
    LoginRefusal,
    login_attempts_of_pair,
    login_refusal_get,
)
from clinicrm.core.accounts.tasks import account_email_send_task
from clinicrm.core.models import AuditLog, LoginAttempt, User
from clinicrm.core.services import audit_log_record

# Every this many claims, rows that left the throttle window are deleted (no periodic job
# needed: the table only grows with login traffic, and this keeps it bounded by it).
PRUNE_EVERY = 100


def login_attempt_claim(
    *, email: str, ip: str | None
) -> tuple[LoginAttempt | None, LoginRefusal | None]:
    """Record an attempt *before* its password is checked, then decide whether it may proceed.

    Counting only the attempts claimed before this one (by id) makes a burst of parallel
    guesses line up: the n-th sees the n-1 before it and waits, instead of all of them passing
    a check made before any failure was written. The row stays as the failure record unless the
    password matches (`login_attempt_release`); a refused attempt removes its row, so hammering
    during a wait does not lengthen it.
    """
    attempt = LoginAttempt.objects.create(email=email, ip_address=ip)
    refusal = login_refusal_get(email=email, ip=ip, now=attempt.created_at, before_id=attempt.pk)
    if attempt.pk % PRUNE_EVERY == 0:
        window = dt.timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
        LoginAttempt.objects.filter(created_at__lt=timezone.now() - window).delete()
    if refusal is not None:
        attempt.delete()
        return None, refusal
    return attempt, None


def login_attempt_release(*, attempt: LoginAttempt) -> None:
    """The password matched: this attempt is not a failure."""
    attempt.delete()


def login_failure_record(*, email: str, ip: str | None) -> None:
    """Audit a failed login (the attempt row itself was written by login_attempt_claim)."""
    user = User.objects.filter(email=email).only("pk").first()
    audit_log_record(
        action="auth.login_failed",
        object_type="user",
        object_id=str(user.pk) if user else "",
        ip=ip,
    )


def login_success_record(*, user: Any, ip: str | None) -> None:
    """A login happened: earlier failures of this account from this address are forgiven."""
    login_attempts_of_pair(email=user.email.lower(), ip=ip).delete()
    audit_log_record(
        action="auth.login", user=user, object_type="user", object_id=str(user.pk), ip=ip
    )


# --- password recovery ------------------------------------------------------------------------


@transaction.atomic
def password_reset_request(*, email: str, ip: str | None) -> bool:
    """Queue a reset e-mail if `email` belongs to an active account. The page says the same
    either way (no enumeration); this returns whether an e-mail was queued.

    Users without a usable password (invited, never set one) get the e-mail too: for them the
    reset link is how they set their first password. Caps per account and per IP, counted on
    the audit trail, stop the form from being used to flood someone's inbox.
    """
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    recent = AuditLog.objects.filter(
        action="auth.password_reset_requested",
        created_at__gte=timezone.now() - dt.timedelta(hours=1),
    )
    ip_flooding = bool(
        ip and recent.filter(ip_address=ip).count() >= settings.PASSWORD_RESET_IP_MAX_PER_HOUR
    )
    send = (
        user is not None
        and not ip_flooding
        and recent.filter(object_id=str(user.pk), details__sent=True).count()
        < settings.PASSWORD_RESET_MAX_PER_HOUR
    )
    if send and user is not None:
        account_email_send_task.enqueue(user_id=str(user.pk), kind="password_reset")
    audit_log_record(
        action="auth.password_reset_requested",
        object_type="user",
        object_id=str(user.pk) if user else "",
        ip=ip,
        details={"sent": send},
    )
    return send


@transaction.atomic
def account_password_set(
    *, user: User, password: str, via: Literal["password_reset", "invite"], ip: str | None
) -> None:
    """Set the password chosen through a signed link (already validated by the form). Every
    other session of the user ends (their session hash no longer matches)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_log_record(
        action="auth.invite_accepted" if via == "invite" else "auth.password_reset",
        user=user,
        object_type="user",
        object_id=str(user.pk),
        ip=ip,
    )
