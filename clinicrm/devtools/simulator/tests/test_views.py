# ruff: noqa: F811 - pytest fixtures imported from the fakes' testing modules
"""The phone simulator against the real fake servers over HTTP (Evolution and Twilio)."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from clinicrm.core.models import Role
from clinicrm.credits.services import credits_add
from clinicrm.devtools.fake_evolution.inbound import DEFAULT_MEDIA
from clinicrm.devtools.fake_evolution.server import FakeEvolutionServer
from clinicrm.devtools.fake_evolution.testing import (  # noqa: F401
    INSTANCE,
    INSTANCE_TOKEN,
    fake_evolution,
)
from clinicrm.devtools.fake_twilio.server import FakeTwilioServer
from clinicrm.devtools.fake_twilio.testing import (  # noqa: F401
    AUTH_TOKEN,
    SENDER,
    fake_twilio,
)
from clinicrm.integrations.evolution.tests.helpers import make_channel as evolution_channel
from clinicrm.integrations.twilio.tests.helpers import make_twilio_channel, process_pending
from clinicrm.messaging.models import Message
from clinicrm.messaging.services import message_send, message_send_perform
from clinicrm.people.models import Patient
from clinicrm.people.services import contact_phone_add

PATIENT = "+5511988887777"
JPEG = DEFAULT_MEDIA["image"][0]

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(tenant) -> Patient:
    patient = Patient.objects.create(tenant=tenant, full_name="Camila Prado")
    contact_phone_add(entity=patient, actor=None, number=PATIENT)
    return patient


@pytest.fixture
def evolution(tenant, fake_evolution: FakeEvolutionServer):
    fake_evolution.create_open_instance(INSTANCE, token=INSTANCE_TOKEN)
    fake_evolution.state.switches.auto_status = "delivered"
    return evolution_channel(tenant, server_url=fake_evolution.url)


def _home(client: Client, **params: str):
    return client.get(reverse("devtools:simulator"), params)


def _send(client: Client, tenant, **data):
    return client.post(
        reverse("devtools:simulator_send"),
        {"clinica": str(tenant.pk), "numero": PATIENT, **data},
        headers={"HX-Request": "true"},
    )


def _stored(fake: FakeEvolutionServer, *, from_me: bool) -> list[dict]:
    return [m for m in fake.state.messages.values() if m["data"]["key"]["fromMe"] is from_me]


def test_home_lists_the_clinics_patients_and_channel(owner_client, tenant, patient, evolution):
    html = _home(owner_client).content.decode()
    assert "Simulador WhatsApp" in html
    assert "Camila Prado · +55 (11) 98888-7777" in html
    assert "Evolution" in html or "Pessoal" in html
    html = _home(owner_client, numero=PATIENT).content.decode()
    assert 'id="sim-conversation"' in html and 'hx-trigger="every 2s' in html
    assert "Você é +55 (11) 98888-7777" in html


def test_menu_has_the_simulator_entry_for_managers_and_secretaries(
    owner_client, tenant, member_factory
):
    assert 'href="/simulador/"' in _home(owner_client).content.decode()
    professional = Client()
    professional.force_login(member_factory(Role.PROFESSIONAL))
    html = professional.get(reverse("core:notification_list")).content.decode()
    assert 'href="/simulador/"' not in html


def test_reachable_only_by_the_roles_the_menu_shows_it_to(
    tenant, evolution, fake_evolution, member_factory
):
    for role, expected in (
        (Role.OWNER, 200),
        (Role.ADMIN, 200),
        (Role.SECRETARY, 200),
        (Role.PROFESSIONAL, 404),
    ):
        client = Client()
        client.force_login(member_factory(role))
        assert _home(client).status_code == expected, role
        if expected == 404:
            assert client.get(reverse("devtools:simulator_conversation")).status_code == 404
            assert _send(client, tenant, texto="oi").status_code == 404
            assert client.post(reverse("devtools:simulator_read")).status_code == 404
    assert not fake_evolution.state.messages


def test_without_active_channel_shows_empty_state(owner_client, tenant):
    html = _home(owner_client, numero=PATIENT).content.decode()
    assert "ainda não tem um canal de WhatsApp ativo" in html
    assert 'href="/configuracoes/whatsapp' in html
    assert "sim-conversation" not in html


def test_invalid_typed_number_is_a_field_error(owner_client, tenant, evolution):
    response = _home(owner_client, numero="123")
    assert response.status_code == 400
    assert "sim-conversation" not in response.content.decode()
    assert 'class="field-error"' in response.content.decode()


def test_login_required_and_only_own_clinics(client, tenant, other_tenant, owner_client):
    response = client.get(reverse("devtools:simulator"))
    assert response.status_code == 302 and "/entrar/" in response["Location"]
    assert _home(owner_client, clinica=str(other_tenant.pk)).status_code == 404
    assert _home(owner_client, clinica="nao-e-uuid").status_code == 404


def test_text_reaches_the_fake_evolution_as_the_patient(
    owner_client, tenant, patient, evolution, fake_evolution
):
    response = _send(owner_client, tenant, texto="Oi, queria remarcar", tipo="texto")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "simulator-refresh"
    (stored,) = _stored(fake_evolution, from_me=False)
    data = stored["data"]
    assert data["message"]["conversation"] == "Oi, queria remarcar"
    assert data["key"]["remoteJid"] == "5511988887777@s.whatsapp.net"
    assert data["pushName"] == "Camila Prado"
    # The patient's own message shows on the phone.
    html = owner_client.get(
        reverse("devtools:simulator_conversation"), {"clinica": str(tenant.pk), "numero": PATIENT}
    ).content.decode()
    assert "Oi, queria remarcar" in html and "phone-bubble-patient" in html


def test_photo_and_voice_reach_the_fake_evolution(owner_client, tenant, evolution, fake_evolution):
    photo = SimpleUploadedFile("exame.jpg", JPEG, content_type="image/jpeg")
    assert (
        _send(owner_client, tenant, tipo="foto", texto="meu exame", foto=photo).status_code == 200
    )
    assert _send(owner_client, tenant, tipo="audio").status_code == 200
    image, voice = _stored(fake_evolution, from_me=False)
    assert image["content"] == JPEG
    assert image["data"]["message"]["imageMessage"]["caption"] == "meu exame"
    assert voice["data"]["message"]["audioMessage"]["ptt"] is True


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"tipo": "texto", "texto": "   "}, "Escreva uma mensagem."),
        ({"tipo": "foto"}, "Escolha uma foto para enviar."),
        ({"tipo": "texto", "texto": "x" * 4097}, "no máximo 4096 caracteres"),
    ],
)
def test_bad_input_is_400_and_sends_nothing(
    owner_client, tenant, evolution, fake_evolution, data, message
):
    response = _send(owner_client, tenant, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not fake_evolution.state.messages


def test_not_an_image_is_refused(owner_client, tenant, evolution, fake_evolution):
    fake = SimpleUploadedFile("virus.jpg", b"MZ\x90\x00not a photo", content_type="image/jpeg")
    response = _send(owner_client, tenant, tipo="foto", foto=fake)
    assert response.status_code == 400
    assert "Envie uma foto JPEG ou PNG." in response.content.decode()
    assert not fake_evolution.state.messages


def test_fake_down_gives_a_clear_message(owner_client, tenant, settings):
    from clinicrm.devtools.simulator.tests.helpers import closed_port_url

    evolution_channel(tenant, server_url=closed_port_url())
    response = _send(owner_client, tenant, tipo="texto", texto="oi")
    assert response.status_code == 400
    assert "Não foi possível falar com o servidor simulado" in response.content.decode()


def test_clinic_reply_shows_with_ticks_and_mark_read_pushes_read(
    owner_client, owner, tenant, patient, evolution, fake_evolution
):
    reply = message_send(tenant=tenant, actor=owner, thread_key=PATIENT, text="Claro, Camila!")
    assert message_send_perform(message_id=reply.pk) == "ok"
    assert fake_evolution.flush(5)
    params = {"clinica": str(tenant.pk), "numero": PATIENT}
    deadline = time.monotonic() + 5
    while True:
        html = owner_client.get(reverse("devtools:simulator_conversation"), params).content.decode()
        if 'data-status="delivered"' in html or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert "Claro, Camila!" in html and 'data-status="delivered"' in html
    response = owner_client.post(
        reverse("devtools:simulator_read"), params, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'data-status="read"' in response.content.decode()
    reply.refresh_from_db()
    stored = fake_evolution.state.messages[reply.provider_message_id]
    assert stored["statuses"][-1] == "READ"


@pytest.mark.django_db(transaction=True)
def test_twilio_round_trip(settings, live_server, fake_twilio: FakeTwilioServer, tenant, owner):
    settings.PUBLIC_BASE_URL = live_server.url
    fake_twilio.state.config["auto_progress"] = "delivered"
    fake_twilio.state.config["step_delay"] = 0.02
    make_twilio_channel(tenant, token="sim-token-1", auth_token=AUTH_TOKEN, sender=SENDER)
    credits_add(tenant=tenant, amount=5, kind="adjustment", note="teste")
    client = Client()
    client.force_login(owner)

    # The phone sends: the fake pushes a signed webhook to the CRM, which stores it.
    assert _send(client, tenant, tipo="texto", texto="Bom dia!").status_code == 200
    photo = SimpleUploadedFile("foto.jpg", JPEG, content_type="image/jpeg")
    assert _send(client, tenant, tipo="foto", texto="a receita", foto=photo).status_code == 200
    process_pending()
    text, image = Message.objects.filter(direction="in").order_by("pk")
    assert text.body == "Bom dia!" and text.thread_key == PATIENT
    assert image.kind == "image" and image.body == "a receita"

    # The clinic replies through the real send pipeline; the phone shows it with ticks.
    reply = message_send(tenant=tenant, actor=owner, thread_key=PATIENT, text="Bom dia! 😊")
    assert message_send_perform(message_id=reply.pk) == "ok"
    assert fake_twilio.flush(5)
    params = {"clinica": str(tenant.pk), "numero": PATIENT}
    html = client.get(reverse("devtools:simulator_conversation"), params).content.decode()
    assert "Bom dia! 😊" in html and 'data-status="delivered"' in html

    # "Marcar como lida": the fake calls our status webhook with "read".
    html = client.post(reverse("devtools:simulator_read"), params).content.decode()
    assert fake_twilio.flush(5)
    process_pending()
    reply.refresh_from_db()
    assert reply.status == "read"
    html = client.get(reverse("devtools:simulator_conversation"), params).content.decode()
    assert 'data-status="read"' in html
