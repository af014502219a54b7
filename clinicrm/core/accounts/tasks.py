"""Account e-mails leave through a task: an SMTP hiccup is retried instead of failing the page,
and the page answers equally fast whether or not the address has an account."""

import datetime as dt
import smtplib

from django.tasks import task

from clinicrm.core.accounts.emails import EmailKind, account_email_send
from clinicrm.core.models import Tenant, User
from clinicrm.core.tasks_utils import retrying


@task(queue_name="default")
@retrying(
    retry_on=(smtplib.SMTPException, OSError),
    max_attempts=4,
    base_delay=dt.timedelta(seconds=30),
)
def account_email_send_task(
    *, user_id: str, kind: EmailKind, tenant_id: str | None = None, inviter_id: str | None = None
) -> str:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return "skipped: no active user"
    if kind == "invite" and user.has_usable_password():
        return "skipped: invitation already accepted"
    tenant = Tenant.objects.filter(pk=tenant_id).first() if tenant_id else None
    inviter = User.objects.filter(pk=inviter_id).first() if inviter_id else None
    account_email_send(user=user, kind=kind, tenant=tenant, inviter=inviter)
    return "sent"
