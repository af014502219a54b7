"""Channel pages: roles, chooser, activation with confirmation, Evolution QR panel, Twilio form."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from clinicrm.core.models import AuditLog, Role
from clinicrm.devtools.fake_evolution.server import GLOBAL_APIKEY
from clinicrm.devtools.fake_evolution.testing import fake_evolution  # noqa: F401
from clinicrm.devtools.fake_twilio.testing import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    fake_twilio,  # noqa: F401
)
from clinicrm.integrations.twilio.channels import MSG_TWILIO_AUTH
from clinicrm.messaging.models import Channel, ChannelStatus, Provider
from clinicrm.messaging.tests.test_channels_services import PUBLIC, _configured

CHOOSER = "/configuracoes/whatsapp"


@pytest.fixture
def evo_server(fake_evolution, settings):  # noqa: F811
    settings.EVOLUTION_API_KEY = GLOBAL_APIKEY
    settings.PUBLIC_BASE_URL = PUBLIC
    return fake_evolution


@pytest.fixture
def twilio_server(fake_twilio, settings):  # noqa: F811
    settings.PUBLIC_BASE_URL = PUBLIC
    fake_twilio.state.accept_any = False
    return fake_twilio


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


HTMX = {"HX-Request": "true"}

PAGES = [
    ("get", CHOOSER),
    ("get", "/configuracoes/whatsapp/"),
    ("get", "/configuracoes/whatsapp/evolution/"),
    ("get", "/configuracoes/whatsapp/evolution/conexao/"),
    ("post", "/configuracoes/whatsapp/evolution/"),
    ("post", "/configuracoes/whatsapp/evolution/codigo/"),
    ("post", "/configuracoes/whatsapp/evolution/reconectar/"),
    ("post", "/configuracoes/whatsapp/evolution/desconectar/"),
    ("post", "/configuracoes/whatsapp/evolution/ativar/"),
    ("post", "/configuracoes/whatsapp/evolution/desativar/"),
    ("get", "/configuracoes/whatsapp/twilio/"),
    ("post", "/configuracoes/whatsapp/twilio/"),
    ("post", "/configuracoes/whatsapp/twilio/modelos/"),
    ("post", "/configuracoes/whatsapp/twilio/modelos/remover/"),
    ("post", "/configuracoes/whatsapp/twilio/ativar/"),
    ("post", "/configuracoes/whatsapp/twilio/desativar/"),
]


def test_reverse_names():
    assert reverse("messaging:channel_chooser") == CHOOSER
    assert reverse("integrations:evolution_setup") == "/configuracoes/whatsapp/evolution/"
    assert reverse("integrations:twilio_setup") == "/configuracoes/whatsapp/twilio/"


@pytest.mark.parametrize("role", [Role.PROFESSIONAL, Role.SECRETARY])
def test_only_owner_and_admin_reach_the_pages(member_factory, tenant, role):
    active = _configured(tenant, Provider.EVOLUTION, active=True)
    client = _client(member_factory(role))
    for method, url in PAGES:
        response = getattr(client, method)(url, {"confirm": "1"})
        assert response.status_code == 403, (method, url)
    active.refresh_from_db()
    assert active.is_active
    assert not AuditLog.objects.exclude(action="auth.login").exists()  # force_login audits


def test_anonymous_is_sent_to_login(db):
    response = Client().get(CHOOSER)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_chooser_shows_both_cards_and_empty_state(owner_client):
    response = owner_client.get(CHOOSER)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Pessoal" in html and "Oficial" in html
    assert "1 crédito por mensagem" in html and "QR code" in html
    assert "Nenhum canal ativo" in html
    assert html.count("Não configurado") == 2


def test_admin_sees_active_channel_and_status(member_factory, tenant):
    _configured(tenant, Provider.EVOLUTION, active=True)
    Channel.objects.filter(tenant=tenant).update(status=ChannelStatus.OPEN)
    _configured(tenant, Provider.TWILIO)
    html = _client(member_factory(Role.ADMIN)).get(CHOOSER).content.decode()
    assert "Em uso" in html and "Conectado" in html
    # Twilio card asks for confirmation in a dialog, which names the channel it replaces.
    assert 'data-dialog-open="activate-twilio"' in html
    assert "Trocar para o canal Oficial?" in html
    assert 'data-dialog-open="deactivate-evolution"' in html


def test_activation_with_other_active_needs_confirmation(owner_client, tenant, owner):
    evo = _configured(tenant, Provider.EVOLUTION, active=True)
    twilio = _configured(tenant, Provider.TWILIO)
    url = reverse("messaging:twilio_activate")

    page = owner_client.get(url)
    assert page.status_code == 200
    assert "Pessoal</strong> está ativo e será desativado" in page.content.decode()
    unconfirmed = owner_client.post(url)
    assert unconfirmed.status_code == 200
    evo.refresh_from_db()
    twilio.refresh_from_db()
    assert evo.is_active and not twilio.is_active

    done = owner_client.post(url, {"confirm": "1"})
    assert done.status_code == 302 and done["Location"] == CHOOSER
    evo.refresh_from_db()
    twilio.refresh_from_db()
    assert twilio.is_active and not evo.is_active
    followed = owner_client.get(CHOOSER).content.decode()
    assert "Canal Oficial ativado. O canal Pessoal foi desativado." in followed


def test_deactivate_is_its_own_confirmed_action(owner_client, tenant):
    evo = _configured(tenant, Provider.EVOLUTION, active=True)
    url = reverse("messaging:evolution_deactivate")
    assert "Desativar o canal Pessoal?" in owner_client.get(url).content.decode()
    owner_client.post(url)
    evo.refresh_from_db()
    assert evo.is_active
    assert owner_client.post(url, {"confirm": "1"}).status_code == 302
    evo.refresh_from_db()
    assert not evo.is_active


def test_activate_unconfigured_goes_to_setup(owner_client):
    response = owner_client.post(reverse("messaging:twilio_activate"), {"confirm": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("integrations:twilio_setup")
    assert not Channel.objects.exists()


# --- Evolution page ----------------------------------------------------------------------------


def test_evolution_page_create_qr_polling_until_open(evo_server, owner_client, tenant):
    page = owner_client.get(reverse("integrations:evolution_setup")).content.decode()
    assert "Nenhuma instância criada ainda" in page

    response = owner_client.post(reverse("integrations:evolution_setup"), {"instance_name": "alfa"})
    assert response.status_code == 302
    assert response["Location"] == "/configuracoes/whatsapp/evolution/?parear=1"
    channel = Channel.objects.get(tenant=tenant, provider=Provider.EVOLUTION)
    assert channel.is_active  # the first channel of the tenant starts in use
    assert evo_server.state.instances["alfa"].token == channel.secrets["apikey"]

    page = owner_client.get(response["Location"]).content.decode()
    assert 'hx-trigger="load"' in page and "parear=1" in page

    panel_url = reverse("integrations:evolution_panel")
    panel = owner_client.get(panel_url, {"parear": "1", "n": "0"}, headers=HTMX)
    html = panel.content.decode()
    assert panel.status_code == 200
    assert 'src="data:image/png;base64,' in html
    assert 'hx-trigger="every 5s"' in html and "n=1" in html
    assert "Conectando" in html

    evo_server.control("scan/alfa", {}, {"number": "5511988887777"})
    html = owner_client.get(panel_url, {"parear": "1", "n": "1"}, headers=HTMX).content.decode()
    assert 'data-state="open"' in html and "Conectado" in html
    assert "every 5s" not in html and "data:image/png" not in html
    assert "Desconectar" in html

    response = owner_client.post(reverse("integrations:evolution_disconnect"))
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.DISCONNECTED
    assert evo_server.state.instances["alfa"].state == "close"


def test_evolution_panel_stops_after_the_qr_limit(evo_server, owner_client, tenant, owner):
    from clinicrm.integrations.evolution.channels import evolution_channel_setup

    evolution_channel_setup(tenant=tenant, actor=owner, instance_name="limite")
    html = owner_client.get(
        reverse("integrations:evolution_panel"), {"parear": "1", "n": "99"}, headers=HTMX
    ).content.decode()
    assert "O QR code expirou" in html and "every 5s" not in html


def test_evolution_create_error_is_shown_and_nothing_saved(evo_server, owner_client, settings):
    settings.EVOLUTION_API_KEY = "errada"
    response = owner_client.post(reverse("integrations:evolution_setup"), {"instance_name": "alfa"})
    assert response.status_code == 400
    assert "chave de API da Evolution foi recusada" in response.content.decode()
    assert not Channel.objects.exists()
    response = owner_client.post(reverse("integrations:evolution_setup"), {"instance_name": "A B"})
    assert response.status_code == 400
    assert "letras minúsculas" in response.content.decode()
    assert not Channel.objects.exists()


def test_evolution_pair_code_form(evo_server, owner_client, tenant, owner):
    from clinicrm.integrations.evolution.channels import evolution_channel_setup

    evolution_channel_setup(tenant=tenant, actor=owner, instance_name="codigo")
    url = reverse("integrations:evolution_pair")
    bad = owner_client.post(url, {"number": "12"}, headers=HTMX)
    assert bad.status_code == 400 and "inválido" in bad.content.decode().lower()
    good = owner_client.post(url, {"number": "11988887777"}, headers=HTMX)
    assert good.status_code == 200
    assert 'data-testid="pairing-code"' in good.content.decode()


# --- Twilio page -------------------------------------------------------------------------------


def _twilio_post(client, **extra):
    data = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "api_key_sid": "",
        "api_key_secret": "",
        "sender": "11 99999-0002",
        **extra,
    }
    return client.post(reverse("integrations:twilio_setup"), data)


def test_twilio_page_bad_credentials_400_and_nothing_saved(twilio_server, owner_client):
    response = _twilio_post(owner_client, auth_token="e" * 32)
    assert response.status_code == 400
    assert MSG_TWILIO_AUTH in response.content.decode()
    assert AUTH_TOKEN not in response.content.decode()
    assert not Channel.objects.exists()
    response = _twilio_post(owner_client, sender="")
    assert response.status_code == 400
    assert not Channel.objects.exists()


def test_twilio_page_saves_activates_and_never_renders_secrets(twilio_server, owner_client, tenant):
    response = _twilio_post(owner_client)
    assert response.status_code == 302
    channel = Channel.objects.get(tenant=tenant, provider=Provider.TWILIO)
    assert channel.is_active and channel.status == ChannelStatus.ACTIVE
    html = owner_client.get(reverse("integrations:twilio_setup")).content.decode()
    assert AUTH_TOKEN not in html
    assert f"/webhooks/twilio/{channel.webhook_token}/inbound/" in html
    assert "Em branco: mantém o valor salvo." in html
    assert "Nenhum modelo cadastrado" in html


def test_twilio_templates_editor(twilio_server, owner_client, tenant):
    _twilio_post(owner_client)
    url = reverse("integrations:twilio_template_create")
    sid = "HX" + "1" * 32
    ok = owner_client.post(
        url, {"name": "Lembrete", "content_sid": sid, "variables": "nome, data"}, headers=HTMX
    )
    assert ok.status_code == 200
    html = ok.content.decode()
    assert 'id="twilio-templates"' in html and "<html" not in html
    assert sid in html and "1: nome" in html
    bad = owner_client.post(url, {"name": "Outro", "content_sid": "HX12"}, headers=HTMX)
    assert bad.status_code == 400 and "começa com HX" in bad.content.decode()
    channel = Channel.objects.get(tenant=tenant)
    assert [t["content_sid"] for t in channel.config["templates"]] == [sid]
    removed = owner_client.post(
        reverse("integrations:twilio_template_delete"), {"content_sid": sid}, headers=HTMX
    )
    assert removed.status_code == 200 and "Nenhum modelo cadastrado" in removed.content.decode()
    channel.refresh_from_db()
    assert channel.config["templates"] == []


def test_other_tenant_channel_is_invisible(other_owner_client, tenant, other_tenant):
    _configured(tenant, Provider.TWILIO, active=True)
    html = other_owner_client.get(CHOOSER).content.decode()
    assert "Nenhum canal ativo" in html and html.count("Não configurado") == 2
    response = other_owner_client.post(reverse("messaging:twilio_deactivate"), {"confirm": "1"})
    assert response.status_code == 302
    assert Channel.objects.get(tenant=tenant).is_active
