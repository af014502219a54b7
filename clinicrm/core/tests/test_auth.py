import pytest
from django.test import Client
from django.urls import reverse

from clinicrm.core.models import AuditLog, LoginAttempt
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client: Client, email: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        reverse("core:login"), {"email": email, "password": password}, REMOTE_ADDR=ip
    )


def test_login_success_redirects_to_dashboard_and_is_audited(owner):
    client = Client()
    response = _login(client, owner.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")
    log = AuditLog.objects.get(action="auth.login")
    assert log.user == owner and log.ip_address == "10.0.0.1"


def test_wrong_password_shows_pt_br_error_and_is_audited(owner):
    response = _login(Client(), owner.email, "errada")
    assert response.status_code == 200
    assert "E-mail ou senha incorretos." in response.content.decode()
    log = AuditLog.objects.get(action="auth.login_failed")
    assert log.object_id == str(owner.pk)
    assert owner.email not in str(log.details)


def test_success_clears_failures(owner):
    client = Client()
    _login(client, owner.email, "errada")
    assert LoginAttempt.objects.count() == 1
    _login(client, owner.email, PASSWORD)
    assert LoginAttempt.objects.count() == 0


def test_logout_requires_post(owner_client):
    assert owner_client.get(reverse("core:logout")).status_code == 405
    assert owner_client.post(reverse("core:logout")).status_code == 302
    assert owner_client.get(reverse("dashboard:home")).status_code == 302


def test_anonymous_is_sent_to_login():
    response = Client().get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))
