"""Password reset by e-mail: the same answer for every address, a link that works once and
for a limited time, Django's password validators in pt-BR, and nothing changed on bad input."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from clinicrm.core.models import AuditLog, User
from clinicrm.core.tests.helpers import link_in_last_email, run_queued_tasks
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Ipe-amarelo-no-quintal-42"
START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def _request(client: Client, email: str, ip: str = "198.51.100.7"):
    return client.post(reverse("core:password_reset"), {"email": email}, REMOTE_ADDR=ip)


def _open_link(client: Client, link: str):
    """Follow the e-mail link: Django moves the token into the session and redirects."""
    response = client.get(urlsplit(link).path)
    assert response.status_code == 302, response.status_code
    return response["Location"]


def _set(client: Client, url: str, p1: str, p2: str | None = None):
    return client.post(url, {"new_password1": p1, "new_password2": p2 or p1})


def test_login_page_links_to_the_reset_page():
    html = Client().get(reverse("core:login")).content.decode()
    assert reverse("core:password_reset") in html and "Esqueci minha senha" in html


def test_reset_end_to_end(owner, settings):
    settings.PUBLIC_BASE_URL = "https://clinicrm.example"
    client = Client()
    response = _request(client, owner.email.upper())
    assert response.status_code == 302
    assert response["Location"] == reverse("core:password_reset_done")
    assert len(mail.outbox) == 0  # the worker sends it
    run_queued_tasks()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [owner.email] and "Redefinição de senha" in message.subject
    link = link_in_last_email(owner.email)
    assert link.startswith("https://clinicrm.example/senha/redefinir/")
    assert "válido por 1 hora" in message.body
    form_url = _open_link(client, link)
    assert form_url.endswith("/nova-senha/")  # the token left the URL
    assert "Crie uma nova senha" in client.get(form_url).content.decode()
    response = _set(client, form_url, NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:password_reset_complete")
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert AuditLog.objects.filter(action="auth.password_reset", user=owner).exists()
    # The link worked once.
    assert Client().get(urlsplit(link).path).status_code == 400


def test_reset_logs_out_the_other_sessions(owner):
    other = Client()
    other.force_login(owner)
    assert other.get(reverse("dashboard:home")).status_code == 200
    client = Client()
    _request(client, owner.email)
    run_queued_tasks()
    _set(client, _open_link(client, link_in_last_email(owner.email)), NEW_PASSWORD)
    assert other.get(reverse("dashboard:home")).status_code == 302


def test_unknown_email_gets_the_same_answer_and_no_email(owner):
    known = _request(Client(), owner.email)
    unknown = _request(Client(), "ninguem@nada.test")
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    run_queued_tasks()
    assert [m.to for m in mail.outbox] == [[owner.email]]
    page = Client().get(reverse("core:password_reset_done")).content.decode()
    assert "Se houver uma conta com o e-mail informado" in page


def test_invalid_email_is_a_pt_br_400():
    response = _request(Client(), "isto não é e-mail")
    assert response.status_code == 400
    assert "Informe um e-mail válido." in response.content.decode()


def test_reset_emails_are_capped_per_account_and_per_ip(owner, settings):
    settings.PASSWORD_RESET_MAX_PER_HOUR = 2
    settings.PASSWORD_RESET_IP_MAX_PER_HOUR = 5
    for i in range(4):
        assert _request(Client(), owner.email, ip=f"198.51.100.{i}").status_code == 302
    for i in range(5):
        _request(Client(), f"outro{i}@nada.test", ip="203.0.113.9")
    # The flooding address cannot make another account's e-mail go out either.
    _request(Client(), "dona@beta.test", ip="203.0.113.9")
    run_queued_tasks()
    assert len(mail.outbox) == 2


def test_forged_and_expired_links_change_nothing(owner):
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        _request(client, owner.email)
        run_queued_tasks()
        link = link_in_last_email(owner.email)
        uid = urlsplit(link).path.split("/")[3]
        forged = reverse("core:password_reset_confirm", kwargs={"uidb64": uid, "token": "abc-123"})
        response = client.get(forged)
        assert response.status_code == 400
        assert "Link inválido ou expirado" in response.content.decode()
        # Garbage uid, and a POST straight to the form URL without a token in the session.
        bad_uid = reverse("core:password_reset_confirm", kwargs={"uidb64": "!!", "token": "x-y"})
        assert client.get(bad_uid).status_code == 400
        no_session = reverse(
            "core:password_reset_confirm", kwargs={"uidb64": uid, "token": "nova-senha"}
        )
        assert _set(Client(), no_session, NEW_PASSWORD).status_code == 400
        clock.shift(dt.timedelta(hours=1, seconds=1))
        response = client.get(urlsplit(link).path)
        assert response.status_code == 400
        assert "Este link de redefinição não vale mais" in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert not AuditLog.objects.filter(action="auth.password_reset").exists()


@pytest.mark.parametrize(
    ("p1", "p2", "message"),
    [
        ("curta1", None, "Esta senha é muito curta."),
        ("12345678901", None, "Esta senha é inteiramente numérica."),
        ("password123", None, "Esta senha é muito comum."),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "As duas senhas não são iguais."),
        ("", "", "Informe a nova senha nos dois campos."),
    ],
)
def test_weak_or_mismatched_password_is_refused_in_pt_br(owner, p1, p2, message):
    client = Client()
    _request(client, owner.email)
    run_queued_tasks()
    form_url = _open_link(client, link_in_last_email(owner.email))
    response = _set(client, form_url, p1, p2)
    assert response.status_code == 400
    assert message in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    # The link still works for a good password afterwards.
    assert _set(client, form_url, NEW_PASSWORD).status_code == 302


def test_inactive_user_gets_no_email(owner):
    User.objects.filter(pk=owner.pk).update(is_active=False)
    _request(Client(), owner.email)
    run_queued_tasks()
    assert mail.outbox == []
