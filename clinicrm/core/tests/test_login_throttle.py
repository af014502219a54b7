"""The login throttle: progressive delay per (account, client IP), a cap per IP, no lock-out,
and no password path around it (the admin is gone; any authenticate() call is throttled)."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory
from django.urls import Resolver404, resolve, reverse

from clinicrm.core.accounts.selectors import login_delay_seconds
from clinicrm.core.models import AuditLog, LoginAttempt
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _throttle(settings):
    settings.LOGIN_THROTTLE_WINDOW_SECONDS = 900
    settings.LOGIN_THROTTLE_FREE_FAILURES = 3
    settings.LOGIN_THROTTLE_BASE_DELAY_SECONDS = 5
    settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS = 300
    settings.LOGIN_THROTTLE_IP_MAX_FAILURES = 20


def _login(email: str, password: str, ip: str, client: Client | None = None):
    return (client or Client()).post(
        reverse("core:login"), {"email": email, "password": password}, REMOTE_ADDR=ip
    )


def test_delay_grows_progressively_and_is_capped():
    assert [login_delay_seconds(failures=n) for n in range(0, 11)] == [
        0, 0, 0, 5, 10, 20, 40, 80, 160, 300, 300,
    ]  # fmt: skip


def test_progressive_delay_refuses_until_the_next_allowed_time_then_lets_in(owner):
    with time_machine.travel(START, tick=False) as clock:
        for i in range(3):
            assert _login(owner.email, f"errada{i}", "198.51.100.7").status_code == 200
        # The 4th attempt comes too early: refused without checking the password.
        response = _login(owner.email, PASSWORD, "198.51.100.7")
        assert response.status_code == 429
        assert response["Retry-After"] == "5"
        assert "Muitas tentativas de acesso. Aguarde 5 segundos" in response.content.decode()
        assert LoginAttempt.objects.count() == 3  # the refusal left no failure behind
        clock.shift(dt.timedelta(seconds=3))
        response = _login(owner.email, PASSWORD, "198.51.100.7")
        assert "Aguarde 2 segundos" in response.content.decode()
        clock.shift(dt.timedelta(seconds=2))
        client = Client()
        response = _login(owner.email, PASSWORD, "198.51.100.7", client)
        assert response.status_code == 302
        assert "_auth_user_id" in client.session
    # Success forgives this (account, IP)'s failures.
    assert not LoginAttempt.objects.filter(email=owner.email).exists()


def test_wrong_password_after_the_wait_doubles_the_next_wait(owner):
    with time_machine.travel(START, tick=False) as clock:
        for i in range(3):
            _login(owner.email, f"errada{i}", "198.51.100.7")
        clock.shift(dt.timedelta(seconds=5))
        assert _login(owner.email, "errada3", "198.51.100.7").status_code == 200
        response = _login(owner.email, PASSWORD, "198.51.100.7")
        assert response["Retry-After"] == "10"


def test_an_attacker_elsewhere_cannot_lock_the_member_out(owner):
    with time_machine.travel(START, tick=False) as clock:
        for i in range(12):
            clock.shift(dt.timedelta(seconds=301))  # the attacker waits out every delay
            _login(owner.email, f"chute{i}", "203.0.113.66")
        assert _login(owner.email, PASSWORD, "203.0.113.66").status_code == 429
        # The member, from the clinic's address, logs in at once.
        client = Client()
        assert _login(owner.email, PASSWORD, "198.51.100.7", client).status_code == 302
        assert "_auth_user_id" in client.session


def test_per_ip_cap_across_accounts_and_other_addresses_are_unaffected(owner):
    with time_machine.travel(START, tick=False) as clock:
        for i in range(20):
            _login(f"alvo{i}@x.test", "errada", "203.0.113.66")
        response = _login(owner.email, PASSWORD, "203.0.113.66")
        assert response.status_code == 429
        assert "Aguarde 15 minutos" in response.content.decode()
        assert _login(owner.email, PASSWORD, "198.51.100.7").status_code == 302
        clock.shift(dt.timedelta(seconds=901))
        assert _login(owner.email, PASSWORD, "203.0.113.66").status_code == 302


def test_unknown_accounts_are_throttled_like_real_ones(owner):
    with time_machine.travel(START, tick=False):
        for i in range(3):
            _login("ninguem@x.test", f"errada{i}", "198.51.100.7")
        response = _login("ninguem@x.test", "errada", "198.51.100.7")
        assert response.status_code == 429
        assert "Aguarde 5 segundos" in response.content.decode()


def test_failures_are_audited_without_the_email(owner):
    _login(owner.email, "errada", "198.51.100.7")
    log = AuditLog.objects.get(action="auth.login_failed")
    assert log.object_id == str(owner.pk) and log.ip_address == "198.51.100.7"
    assert owner.email not in str(log.details)
    _login("ninguem@x.test", "errada", "198.51.100.7")
    assert AuditLog.objects.filter(action="auth.login_failed", object_id="").count() == 1


# --- no other door ------------------------------------------------------------------------------


def test_django_admin_is_gone():
    assert "django.contrib.admin" not in django_settings.INSTALLED_APPS
    for path in ("/django-admin/", "/django-admin/login/", "/admin/", "/admin/login/"):
        with pytest.raises(Resolver404):
            resolve(path)
        assert Client().post(path, {"username": "x", "password": "y"}).status_code == 404


def test_any_authenticate_call_is_throttled_and_audited(owner):
    """A login path other than our page (a future view, a command) still meets the throttle,
    and the auth signals still write the audit trail."""
    factory = RequestFactory()
    with time_machine.travel(START, tick=False):
        for i in range(3):
            request = factory.post("/outra-porta/", REMOTE_ADDR="198.51.100.9")
            assert authenticate(request, email=owner.email, password=f"errada{i}") is None
        assert AuditLog.objects.filter(action="auth.login_failed").count() == 3
        request = factory.post("/outra-porta/", REMOTE_ADDR="198.51.100.9")
        assert authenticate(request, email=owner.email, password=PASSWORD) is None
        assert request.login_refusal.wait_seconds == 5  # type: ignore[attr-defined]
        # The refusal is not a password failure: no audit row, no attempt row.
        assert AuditLog.objects.filter(action="auth.login_failed").count() == 3
        assert LoginAttempt.objects.count() == 3


def test_force_login_and_password_login_are_both_audited(owner):
    client = Client()
    client.force_login(owner)
    assert AuditLog.objects.filter(action="auth.login", user=owner).count() == 1
