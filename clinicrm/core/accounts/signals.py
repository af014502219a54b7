"""Audit receivers for every login path: they listen to Django's auth signals, so a login made
by any view or command is recorded, not only the ones made through our login page. A login
happens before any tenant is chosen and is audited in each of the user's clinics: the receivers
bypass row-level security (`core.rls`)."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from clinicrm.core.accounts.backends import REFUSAL_ATTR
from clinicrm.core.accounts.middleware import session_stamp_login
from clinicrm.core.accounts.services import login_failure_record, login_success_record
from clinicrm.core.client_ip import client_ip
from clinicrm.core.rls import rls_bypass


@receiver(user_login_failed, dispatch_uid="clinicrm.accounts.login_failed")
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kw: Any
) -> None:
    if request is not None and getattr(request, REFUSAL_ATTR, None) is not None:
        return  # refused by the throttle: the password was never checked
    email = str(credentials.get("email") or credentials.get("username") or "").strip().lower()
    if email:
        with rls_bypass():
            login_failure_record(email=email, ip=client_ip(request))


@receiver(user_logged_in, dispatch_uid="clinicrm.accounts.logged_in")
def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kw: Any) -> None:
    with rls_bypass():
        login_success_record(user=user, ip=client_ip(request))
    if request is not None and hasattr(request, "session"):
        session_stamp_login(request.session)
