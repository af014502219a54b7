import pytest
from django.urls import reverse

from clinicrm.messaging.models import Message, Provider, Thread
from clinicrm.messaging.services import message_ingest
from clinicrm.messaging.tests.factories import inbound_text, make_channel, make_thread

pytestmark = pytest.mark.django_db


def test_inbox_lists_threads_with_preview_and_unread(owner_client, tenant, other_tenant):
    channel = make_channel(tenant)
    message_ingest(channel=channel, inbound=inbound_text(body="Quero remarcar", contact_name="Ana"))
    make_thread(other_tenant, contact_name="Intrusa")
    response = owner_client.get(reverse("messaging:inbox"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ana" in html and "Quero remarcar" in html
    assert 'class="badge"' in html
    assert "Intrusa" not in html


def test_inbox_empty_state_and_search(owner_client, tenant):
    assert "Nenhuma conversa ainda" in owner_client.get(reverse("messaging:inbox")).content.decode()
    make_thread(tenant, contact_name="Beatriz")
    make_thread(tenant, contact_name="Carlos")
    html = owner_client.get(reverse("messaging:inbox"), {"q": "beat"}).content.decode()
    assert "Beatriz" in html and "Carlos" not in html


def test_thread_page_shows_timeline_ticks_and_marks_read(owner_client, tenant):
    channel = make_channel(tenant)
    message_ingest(channel=channel, inbound=inbound_text("I1", body="Oi clínica"))
    message_ingest(
        channel=channel, inbound=inbound_text("O1", body="Oi!", from_me=True, status="read")
    )
    thread = Thread.objects.get()
    response = owner_client.get(
        reverse("messaging:thread", kwargs={"thread_key": thread.thread_key})
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Oi clínica" in html and "tick-read" in html and "✓✓" in html
    assert f'data-thread-id="{thread.pk}"' in html
    assert "<script>" not in html and "style=" not in html
    thread.refresh_from_db()
    assert thread.unread_count == 0


def test_other_tenants_thread_is_404(owner_client, other_tenant):
    thread = make_thread(other_tenant)
    for name in ("messaging:thread", "messaging:thread_timeline"):
        assert (
            owner_client.get(reverse(name, kwargs={"thread_key": thread.thread_key})).status_code
            == 404
        )
    url = reverse("messaging:thread_send", kwargs={"thread_key": thread.thread_key})
    assert owner_client.post(url, {"text": "x"}).status_code == 404
    assert not Message.objects.exists()


def test_send_box_posts_through_the_outbox(owner_client, tenant):
    make_channel(tenant)
    thread = make_thread(tenant)
    url = reverse("messaging:thread_send", kwargs={"thread_key": thread.thread_key})
    response = owner_client.post(url, {"text": "Confirmado"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Trigger"] == "timeline-refresh"
    msg = Message.objects.get()
    assert (msg.body, msg.direction, msg.status) == ("Confirmado", "out", "pending")


def test_send_box_errors_are_400_and_change_nothing(owner_client, tenant):
    make_channel(tenant, Provider.TWILIO)  # window never opened
    thread = make_thread(tenant)
    url = reverse("messaging:thread_send", kwargs={"thread_key": thread.thread_key})
    response = owner_client.post(url, {"text": "Oi"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "janela de 24 horas" in response.content.decode()
    response = owner_client.post(url, {"text": "   "}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "Escreva uma mensagem" in response.content.decode()
    assert not Message.objects.exists()
