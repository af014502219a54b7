"""The inbox part of the bell, fed by messaging (core knows no inbox): unread conversations in
the counts and the panel, and the "Nova mensagem de ..." popup the notifier fetches."""

import json

import pytest
from django.urls import reverse

from clinicrm.core.models import Notification
from clinicrm.messaging.tests.factories import make_thread

pytestmark = pytest.mark.django_db


def notify(tenant, user) -> Notification:
    return Notification.objects.create(tenant=tenant, user=user, kind="test", title="Saldo baixo")


def test_bell_is_server_rendered_with_counts(owner_client, tenant, owner):
    notify(tenant, owner)
    notify(tenant, owner)
    make_thread(tenant, unread_count=3)
    make_thread(tenant, unread_count=0)
    html = owner_client.get(reverse("core:notification_list")).content.decode()
    assert 'id="notif-bell-count"' in html
    assert 'data-testid="bell-count">3</span>' in html  # 2 notifications + 1 unread conversation
    assert 'aria-label="Notificações: 3 não lidas"' in html  # the count is in the bell's name
    assert 'data-conversations="1"' in html
    assert "clinicrm/notifier.js" in html
    assert 'href="/conversas/"' in html  # the "Conversas" menu entry is back


def test_counts_endpoint(owner_client, tenant, other_tenant, owner):
    notify(tenant, owner)
    notify(other_tenant, owner)  # not a member there: never counted here
    make_thread(tenant, unread_count=2)
    make_thread(other_tenant, unread_count=5)
    data = json.loads(owner_client.get(reverse("core:notification_counts")).content)
    assert data == {"notifications": 1, "conversations": 1, "total": 2}


def test_panel_links_the_unread_conversations(owner_client, tenant):
    make_thread(tenant, unread_count=1)
    html = owner_client.get(reverse("core:notification_panel")).content.decode()
    assert 'href="/conversas/"' in html and "1 conversa com mensagens não lidas" in html


def test_popup_fragment_names_the_sender_without_the_stream_carrying_it(
    owner_client, tenant, other_tenant
):
    named = make_thread(tenant, contact_name="Maria Souza")
    bare = make_thread(tenant, thread_key="+5511988887777")
    html = owner_client.get(
        reverse("messaging:message_popup") + f"?thread={named.pk}"
    ).content.decode()
    assert "Nova mensagem de <strong>Maria Souza</strong>" in html
    assert f'href="/conversas/{named.pk}/"' in html
    html = owner_client.get(
        reverse("messaging:message_popup") + f"?thread={bare.pk}"
    ).content.decode()
    assert "+55 (11) 98888-7777" in html


def test_popup_of_another_tenants_thread_is_404(owner_client, other_tenant):
    foreign = make_thread(other_tenant, contact_name="Segredo")
    response = owner_client.get(reverse("messaging:message_popup") + f"?thread={foreign.pk}")
    assert response.status_code == 404
    assert b"Segredo" not in response.content
    assert owner_client.get(reverse("messaging:message_popup") + "?thread=abc").status_code == 404
