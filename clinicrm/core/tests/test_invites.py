"""Invitations: a member added without a password gets an e-mail with a set-password link
(longer-lived than a reset link), can be sent a fresh one (which kills the old link), and every
step is audited."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from clinicrm.core.models import AuditLog, Membership, Role, User
from clinicrm.core.tests.helpers import link_in_last_email, run_queued_tasks

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Ipe-amarelo-no-quintal-42"
START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def _add(client: Client, email: str = "nova@alfa.test"):
    return client.post(
        reverse("core:member_add"), {"email": email, "first_name": "Nova", "role": Role.SECRETARY}
    )


def _accept(link: str, password: str = NEW_PASSWORD):
    client = Client()
    response = client.get(urlsplit(link).path)
    if response.status_code != 302:
        return response
    return client.post(response["Location"], {"new_password1": password, "new_password2": password})


def _login(email: str, password: str):
    return Client().post(reverse("core:login"), {"email": email, "password": password})


def test_invite_end_to_end(owner_client, owner, tenant, settings):
    settings.PUBLIC_BASE_URL = "https://clinicrm.example"
    assert _add(owner_client).status_code == 302
    run_queued_tasks()
    message = mail.outbox[-1]
    assert message.to == ["nova@alfa.test"]
    assert message.subject == f"Convite para {tenant.name} no Clinicrm"
    assert "dona convidou você" in message.body and "válido por 7 dias" in message.body
    link = link_in_last_email("nova@alfa.test")
    assert link.startswith("https://clinicrm.example/convite/")
    page = Client().get(Client().get(urlsplit(link).path)["Location"])
    response = _accept(link)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:invite_complete")
    assert "Conta ativada" in Client().get(response["Location"]).content.decode()
    assert page.status_code == 400  # a fresh client has no token in its session
    user = User.objects.get(email="nova@alfa.test")
    assert user.check_password(NEW_PASSWORD)
    assert _login("nova@alfa.test", NEW_PASSWORD).status_code == 302
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"membership.invite_sent", "auth.invite_accepted"} <= actions
    sent = AuditLog.objects.get(action="membership.invite_sent")
    assert sent.tenant == tenant and sent.user == owner and sent.details == {"resend": False}
    # Used once: the same link no longer works, and the member is no longer "pending".
    assert _accept(link).status_code == 400
    html = owner_client.get(reverse("core:member_list")).content.decode()
    assert "Convite pendente" not in html


def test_members_page_shows_pending_invites_and_resends(owner_client, tenant):
    _add(owner_client)
    run_queued_tasks()
    first_link = link_in_last_email("nova@alfa.test")
    membership = Membership.objects.get(user__email="nova@alfa.test")
    html = owner_client.get(reverse("core:member_list")).content.decode()
    assert "Convite pendente" in html
    assert reverse("core:member_invite", kwargs={"membership_id": membership.pk}) in html
    response = owner_client.post(
        reverse("core:member_invite", kwargs={"membership_id": membership.pk}), follow=True
    )
    assert "Convite reenviado" in response.content.decode()
    run_queued_tasks()
    second_link = link_in_last_email("nova@alfa.test")
    assert len(mail.outbox) == 2 and second_link != first_link
    assert AuditLog.objects.filter(action="membership.invite_sent").count() == 2
    assert _accept(first_link).status_code == 400  # the resend killed the first link
    assert _accept(second_link).status_code == 302


def test_invite_link_outlives_a_reset_link_but_not_its_own_validity(owner_client):
    with time_machine.travel(START, tick=False) as clock:
        _add(owner_client)
        run_queued_tasks()
        link = link_in_last_email("nova@alfa.test")
        clock.shift(dt.timedelta(days=6))
        assert Client().get(urlsplit(link).path).status_code == 302  # still valid
        clock.shift(dt.timedelta(days=1, seconds=1))
        response = _accept(link)
        assert response.status_code == 400
        assert "Este convite não vale mais" in response.content.decode()
    assert not User.objects.get(email="nova@alfa.test").has_usable_password()


def test_reset_and_invite_tokens_are_not_interchangeable(owner_client):
    _add(owner_client)
    run_queued_tasks()
    invite = urlsplit(link_in_last_email("nova@alfa.test")).path
    as_reset = invite.replace("/convite/", "/senha/redefinir/")
    assert Client().get(as_reset).status_code == 400


def test_invited_member_can_use_forgot_password_too(owner_client):
    """What the members page promises: someone who lost the invitation uses the reset form."""
    _add(owner_client)
    Client().post(reverse("core:password_reset"), {"email": "nova@alfa.test"})
    run_queued_tasks()
    assert "Redefinição de senha" in mail.outbox[-1].subject
    assert _accept(link_in_last_email("nova@alfa.test")).status_code == 302
    assert User.objects.get(email="nova@alfa.test").check_password(NEW_PASSWORD)


def test_no_invite_for_members_who_have_a_password(owner_client, tenant, other_owner):
    _add(owner_client, other_owner.email)
    run_queued_tasks()
    assert mail.outbox == []
    membership = Membership.objects.get(user=other_owner, tenant=tenant)
    response = owner_client.post(
        reverse("core:member_invite", kwargs={"membership_id": membership.pk})
    )
    assert response.status_code == 400
    assert "já definiu uma senha" in response.content.decode()
    assert not AuditLog.objects.filter(action="membership.invite_sent").exists()


def test_only_managers_resend_and_only_in_their_clinic(
    owner_client, member_factory, other_owner_client, tenant
):
    _add(owner_client)
    membership = Membership.objects.get(user__email="nova@alfa.test")
    url = reverse("core:member_invite", kwargs={"membership_id": membership.pk})
    secretary = Client()
    secretary.force_login(member_factory(Role.SECRETARY))
    assert secretary.post(url).status_code == 403
    assert other_owner_client.post(url).status_code == 404
    assert owner_client.get(url).status_code == 405
    assert AuditLog.objects.filter(action="membership.invite_sent").count() == 1
