import pytest
from django.urls import reverse

from clinicrm.messaging.models import Message, Provider, Thread
from clinicrm.messaging.services import message_ingest
from clinicrm.messaging.tests.factories import inbound_text, make_channel, make_thread
from clinicrm.people.models import Patient

pytestmark = pytest.mark.django_db


def test_thread_page_shows_timeline_ticks_and_marks_read(owner_client, tenant):
    channel = make_channel(tenant)
    message_ingest(channel=channel, inbound=inbound_text("I1", body="Oi clínica"))
    message_ingest(
        channel=channel, inbound=inbound_text("O1", body="Oi!", from_me=True, status="read")
    )
    thread = Thread.objects.get()
    response = owner_client.get(reverse("messaging:thread", kwargs={"thread_id": thread.pk}))
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
        assert owner_client.get(reverse(name, kwargs={"thread_id": thread.pk})).status_code == 404
    url = reverse("messaging:thread_send", kwargs={"thread_id": thread.pk})
    assert owner_client.post(url, {"text": "x"}).status_code == 404
    assert not Message.objects.exists()


def test_send_box_posts_through_the_outbox(owner_client, tenant):
    make_channel(tenant)
    thread = make_thread(tenant)
    url = reverse("messaging:thread_send", kwargs={"thread_id": thread.pk})
    response = owner_client.post(url, {"text": "Confirmado"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Trigger"] == "timeline-refresh"
    msg = Message.objects.get()
    assert (msg.body, msg.direction, msg.status) == ("Confirmado", "out", "pending")


def test_send_box_errors_are_400_and_change_nothing(owner_client, tenant):
    make_channel(tenant, Provider.TWILIO)  # window never opened
    thread = make_thread(tenant)
    url = reverse("messaging:thread_send", kwargs={"thread_id": thread.pk})
    response = owner_client.post(url, {"text": "Oi"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "janela de 24 horas" in response.content.decode()
    response = owner_client.post(url, {"text": "   "}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "Escreva uma mensagem" in response.content.decode()
    assert not Message.objects.exists()


def test_a_failed_text_offers_a_retry_in_the_drawer_when_a_second_try_may_help(
    owner_client, tenant
):
    channel = make_channel(tenant)
    for pid, body in (("F1", "Confirmado <sexta> & sábado"), ("F2", "Sem WhatsApp")):
        message_ingest(channel=channel, inbound=inbound_text(pid, body=body, from_me=True))
    Message.objects.filter(provider_message_id="F1").update(
        status="failed", error_code="rate_limited"
    )
    Message.objects.filter(provider_message_id="F2").update(
        status="failed", error_code="not_on_whatsapp"
    )
    thread = Thread.objects.get()
    retry = 'data-message-retry="Confirmado &lt;sexta&gt; &amp; sábado"'
    html = owner_client.get(reverse("messaging:thread", kwargs={"thread_id": thread.pk}))
    assert html.content.decode().count("data-message-retry") == 1
    assert retry in html.content.decode()
    failed = Message.objects.get(provider_message_id="F1")
    url = reverse("messaging:thread_timeline", kwargs={"thread_id": thread.pk})
    assert retry in owner_client.get(url, {"mensagem": failed.pk}).content.decode()
    # The patient record shows the same bubble without a send box: no retry there.
    patient = Patient.objects.create(tenant=tenant, full_name="Rita Souza")
    Thread.objects.filter(pk=thread.pk).update(patient=patient)
    record = reverse("people:patient_detail", kwargs={"patient_id": patient.pk})
    html = owner_client.get(record, {"aba": "conversas"}).content.decode()
    assert "Sem WhatsApp" in html and "data-message-retry" not in html
