"""The bell: per-user and per-tenant counts, marking read, pages, isolation (the inbox part,
conversations and the message popup, is messaging's: messaging/tests/test_notification_feed.py)."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from clinicrm.core import notifications
from clinicrm.core.models import Membership, Notification, Role, Tenant, User
from clinicrm.core.notifications import (
    notification_latest,
    notification_mark_all_read,
    notification_mark_read,
    notification_unread_count,
)
from conftest import make_user

pytestmark = pytest.mark.django_db


def notify(tenant: Tenant, user: User, title: str = "Saldo baixo", **fields) -> Notification:
    return Notification.objects.create(tenant=tenant, user=user, kind="test", title=title, **fields)


@pytest.fixture
def two_clinic_owner(owner, other_tenant) -> User:
    """The owner of "alfa" is also a member of "beta"."""
    Membership.objects.create(tenant=other_tenant, user=owner, role=Role.ADMIN)
    return owner


def test_counts_are_per_user_and_per_tenant(tenant, other_tenant, two_clinic_owner, member_factory):
    colleague = member_factory(Role.SECRETARY)
    notify(tenant, two_clinic_owner)
    notify(tenant, two_clinic_owner)
    notify(other_tenant, two_clinic_owner)
    notify(tenant, colleague)
    assert notification_unread_count(user=two_clinic_owner, tenant=tenant) == 2
    assert notification_unread_count(user=two_clinic_owner, tenant=other_tenant) == 1
    assert notification_unread_count(user=colleague, tenant=tenant) == 1
    assert notification_unread_count(user=colleague, tenant=other_tenant) == 0


def test_mark_read_only_touches_own_rows(tenant, other_tenant, two_clinic_owner, member_factory):
    colleague = member_factory(Role.SECRETARY)
    mine = notify(tenant, two_clinic_owner)
    theirs = notify(tenant, colleague)
    elsewhere = notify(other_tenant, two_clinic_owner)
    assert notification_mark_read(user=two_clinic_owner, tenant=tenant, notification_id=mine.pk)
    assert not notification_mark_read(user=two_clinic_owner, tenant=tenant, notification_id=mine.pk)
    assert not notification_mark_read(
        user=two_clinic_owner, tenant=tenant, notification_id=theirs.pk
    )
    assert not notification_mark_read(
        user=two_clinic_owner, tenant=tenant, notification_id=elsewhere.pk
    )
    theirs.refresh_from_db()
    elsewhere.refresh_from_db()
    assert theirs.read_at is None and elsewhere.read_at is None


def test_mark_all_read_is_scoped(tenant, other_tenant, two_clinic_owner, member_factory):
    colleague = member_factory(Role.SECRETARY)
    for _ in range(3):
        notify(tenant, two_clinic_owner)
    notify(other_tenant, two_clinic_owner)
    notify(tenant, colleague)
    assert notification_mark_all_read(user=two_clinic_owner, tenant=tenant) == 3
    assert notification_unread_count(user=two_clinic_owner, tenant=tenant) == 0
    assert notification_unread_count(user=two_clinic_owner, tenant=other_tenant) == 1
    assert notification_unread_count(user=colleague, tenant=tenant) == 1


def test_latest_is_newest_first_and_limited(tenant, owner):
    for n in range(12):
        notify(tenant, owner, title=f"Aviso {n}")
    latest = notification_latest(user=owner, tenant=tenant)
    assert len(latest) == 10
    assert latest[0].title == "Aviso 11"


def test_without_an_inbox_feed_the_bell_counts_notifications_only(
    owner_client, tenant, owner, monkeypatch
):
    monkeypatch.setattr(notifications, "_inbox_feed", [])
    notify(tenant, owner)
    html = owner_client.get(reverse("core:notification_list")).content.decode()
    assert 'data-testid="bell-count">1</span>' in html and 'data-sse-url=""' in html
    data = json.loads(owner_client.get(reverse("core:notification_counts")).content)
    assert data == {"notifications": 1, "conversations": 0, "total": 1}


def test_bell_absent_for_anonymous_and_login_page():
    html = Client().get(reverse("core:login")).content.decode()
    assert "notif-bell" not in html and "notifier.js" not in html


def test_panel_lists_latest_ten_and_marks_all_read(owner_client, tenant, owner):
    for n in range(11):
        notify(tenant, owner, title=f"Aviso {n}")
    response = owner_client.get(reverse("core:notification_panel"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="notif-open"') == 10
    assert "Aviso 10" in html and "Aviso 0<" not in html
    assert "Marcar todas como lidas" in html

    response = owner_client.post(
        reverse("core:notification_mark_all_read"), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    assert "Marcar todas como lidas" not in response.content.decode()
    assert notification_unread_count(user=owner, tenant=tenant) == 0


def test_mark_all_read_without_htmx_redirects(owner_client, tenant, owner):
    notify(tenant, owner)
    response = owner_client.post(reverse("core:notification_mark_all_read"))
    assert response.status_code == 302 and response["Location"] == "/notificacoes/"
    assert notification_unread_count(user=owner, tenant=tenant) == 0


def test_history_page_paginates_and_has_empty_state(owner_client, tenant, owner):
    html = owner_client.get(reverse("core:notification_list")).content.decode()
    assert "Nenhuma notificação por aqui." in html
    for n in range(25):
        notify(tenant, owner, title=f"Aviso {n:02d}")
    page1 = owner_client.get(reverse("core:notification_list")).content.decode()
    assert page1.count('data-testid="notification"') == 20
    assert "Página 1 de 2" in page1
    page2 = owner_client.get(reverse("core:notification_list") + "?page=2").content.decode()
    assert page2.count('data-testid="notification"') == 5
    assert "Aviso 00" in page2


def test_open_marks_read_and_follows_local_url_only(owner_client, tenant, owner):
    local = notify(tenant, owner, url="/configuracoes/creditos-whatsapp")
    external = notify(tenant, owner, url="https://evil.example/phish")
    response = owner_client.post(
        reverse("core:notification_open", kwargs={"notification_id": local.pk})
    )
    assert response.status_code == 302
    assert response["Location"] == "/configuracoes/creditos-whatsapp"
    local.refresh_from_db()
    assert local.read_at is not None
    response = owner_client.post(
        reverse("core:notification_open", kwargs={"notification_id": external.pk})
    )
    assert response["Location"] == "/notificacoes/"


def test_open_someone_elses_notification_is_404_and_changes_nothing(
    owner_client, tenant, member_factory, other_tenant, other_owner
):
    colleague = member_factory(Role.SECRETARY)
    same_tenant_other_user = notify(tenant, colleague)
    other_tenant_row = notify(other_tenant, other_owner)
    for row in (same_tenant_other_user, other_tenant_row):
        url = reverse("core:notification_open", kwargs={"notification_id": row.pk})
        assert owner_client.post(url).status_code == 404
        row.refresh_from_db()
        assert row.read_at is None


def test_pages_need_login():
    client = Client()
    for name in ("core:notification_list", "core:notification_panel", "core:notification_counts"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/entrar/" in response["Location"]


def test_user_without_clinic_sees_no_bell(db):
    user = make_user("solto@nada.test")
    client = Client()
    client.force_login(user)
    assert client.get(reverse("core:notification_list")).status_code == 403
