"""Channel services against the fake Evolution and Twilio servers over real HTTP."""

import socket

import pytest
from django.db import IntegrityError, transaction

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import AuditLog
from clinicrm.devtools.fake_evolution.server import GLOBAL_APIKEY
from clinicrm.devtools.fake_evolution.testing import fake_evolution  # noqa: F401
from clinicrm.devtools.fake_twilio.testing import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    fake_twilio,  # noqa: F401
)
from clinicrm.integrations.evolution import constants as evo
from clinicrm.integrations.evolution.channels import (
    evolution_channel_disconnect,
    evolution_channel_qr,
    evolution_channel_setup,
    evolution_channel_state,
)
from clinicrm.integrations.twilio.channels import (
    MSG_TWILIO_AUTH,
    MSG_TWILIO_UNREACHABLE,
    twilio_channel_setup,
    twilio_template_add,
    twilio_template_remove,
)
from clinicrm.messaging.models import Channel, ChannelStatus, Provider
from clinicrm.messaging.services import channel_activate, channel_deactivate

# Webhook deliveries of the fakes go nowhere fast (connection refused), not to the internet.
PUBLIC = "http://127.0.0.1:1"


@pytest.fixture
def evo_server(fake_evolution, settings):  # noqa: F811
    settings.EVOLUTION_API_KEY = GLOBAL_APIKEY
    settings.PUBLIC_BASE_URL = PUBLIC
    return fake_evolution


@pytest.fixture
def twilio_server(fake_twilio, settings):  # noqa: F811
    settings.PUBLIC_BASE_URL = PUBLIC
    return fake_twilio


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _audit_blob() -> str:
    return repr(list(AuditLog.objects.values_list("action", "details")))


# --- Evolution ---------------------------------------------------------------------------------


def test_evolution_setup_creates_instance_stores_key_encrypted_and_sets_webhook(
    evo_server, tenant, owner
):
    channel = evolution_channel_setup(tenant=tenant, actor=owner, instance_name="clinica-alfa")

    inst = evo_server.state.instances["clinica-alfa"]
    apikey = channel.secrets["apikey"]
    assert apikey == inst.token
    assert apikey not in channel.secrets_encrypted  # encrypted at rest
    assert channel.provider == Provider.EVOLUTION and channel.tenant == tenant
    assert channel.config["instance_name"] == "clinica-alfa"
    assert channel.config.get("webhook_set_at")
    hook = inst.webhook
    assert hook["url"] == f"{PUBLIC}/webhooks/evolution/{channel.webhook_token}/"
    assert hook["headers"] == {"apikey": apikey}
    assert hook["enabled"] is True and hook["webhookByEvents"] is False
    assert hook["events"] == evo.WEBHOOK_EVENTS
    assert apikey not in _audit_blob()
    assert AuditLog.objects.filter(action="messaging.channel_create", tenant=tenant).exists()


def test_evolution_generated_name_qr_scan_and_state(evo_server, tenant, owner):
    channel = evolution_channel_setup(tenant=tenant, actor=owner)
    name = channel.config["instance_name"]
    assert name.startswith("clinicrm-alfa-") and name in evo_server.state.instances

    assert evolution_channel_state(tenant=tenant) == ChannelStatus.DISCONNECTED
    qr = evolution_channel_qr(tenant=tenant)
    assert qr.state == ChannelStatus.CONNECTING
    assert qr.base64 and qr.base64.startswith("data:image/png;base64,")
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.CONNECTING

    evo_server.control(f"scan/{name}", {}, {"number": "5511988887777"})  # the phone pairs
    assert evolution_channel_state(tenant=tenant) == ChannelStatus.OPEN
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.OPEN
    # Already open: connect answers the state, no QR.
    assert evolution_channel_qr(tenant=tenant).base64 is None

    evolution_channel_disconnect(tenant=tenant, actor=owner)
    assert evo_server.state.instances[name].state == "close"
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.DISCONNECTED


def test_evolution_pairing_code_with_number(evo_server, tenant, owner):
    evolution_channel_setup(tenant=tenant, actor=owner, instance_name="com-codigo")
    qr = evolution_channel_qr(tenant=tenant, number="(11) 98888-7777")
    assert qr.pairing_code
    assert evo_server.state.instances["com-codigo"].number == "5511988887777"
    with pytest.raises(ApplicationError) as err:
        evolution_channel_qr(tenant=tenant, number="123")
    assert err.value.field == "number"


def test_evolution_setup_recreates_an_instance_the_server_lost(evo_server, tenant, owner):
    channel = evolution_channel_setup(tenant=tenant, actor=owner, instance_name="perdida")
    evo_server.state.reset()
    assert "perdida" not in evo_server.state.instances

    again = evolution_channel_setup(tenant=tenant, actor=owner)
    assert again.pk == channel.pk
    inst = evo_server.state.instances["perdida"]
    assert inst.token == again.secrets["apikey"]
    assert inst.webhook["headers"] == {"apikey": inst.token}
    assert Channel.objects.filter(tenant=tenant).count() == 1


def test_evolution_name_taken_is_a_field_error_and_saves_nothing(evo_server, tenant, owner):
    evo_server.create_open_instance("ocupada", token="OUTRA-CHAVE")
    with pytest.raises(ApplicationError) as err:
        evolution_channel_setup(tenant=tenant, actor=owner, instance_name="ocupada")
    assert err.value.field == "instance_name"
    assert "Já existe uma instância" in err.value.message
    assert not Channel.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="messaging.channel").exists()


@pytest.mark.parametrize("bad", ["ab", "Com Espaço", "-começa", "x" * 51])
def test_evolution_invalid_name_refused_before_any_call(evo_server, tenant, owner, bad):
    with pytest.raises(ApplicationError) as err:
        evolution_channel_setup(tenant=tenant, actor=owner, instance_name=bad)
    assert err.value.field == "instance_name"
    assert evo_server.state.instances == {}
    assert not Channel.objects.exists()


def test_evolution_wrong_global_key_or_unreachable_saves_nothing(
    evo_server, tenant, owner, settings
):
    settings.EVOLUTION_API_KEY = "chave-errada"
    with pytest.raises(ApplicationError) as err:
        evolution_channel_setup(tenant=tenant, actor=owner)
    assert "chave de API da Evolution foi recusada" in err.value.message

    settings.EVOLUTION_API_KEY = GLOBAL_APIKEY
    settings.EVOLUTION_BASE_URL = _closed_port_url()
    with pytest.raises(ApplicationError) as err:
        evolution_channel_setup(tenant=tenant, actor=owner)
    assert "Não foi possível conectar ao servidor Evolution" in err.value.message
    assert not Channel.objects.exists()

    settings.EVOLUTION_API_KEY = ""
    with pytest.raises(ApplicationError, match="não está configurado"):
        evolution_channel_setup(tenant=tenant, actor=owner)
    assert not Channel.objects.exists()


def test_evolution_state_without_channel_is_a_friendly_error(evo_server, tenant):
    with pytest.raises(ApplicationError, match="Crie a instância"):
        evolution_channel_state(tenant=tenant)


# --- Twilio ------------------------------------------------------------------------------------


def test_twilio_setup_verifies_and_saves_encrypted(twilio_server, tenant, owner):
    channel = twilio_channel_setup(
        tenant=tenant,
        actor=owner,
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        sender="(11) 99999-0002",
    )
    assert channel.provider == Provider.TWILIO
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.config == {"account_sid": ACCOUNT_SID, "sender": "+5511999990002"}
    assert channel.secrets == {"auth_token": AUTH_TOKEN}
    assert AUTH_TOKEN not in channel.secrets_encrypted
    assert AUTH_TOKEN not in _audit_blob()
    assert not channel.is_active  # activation is its own step


def test_twilio_setup_with_api_key(twilio_server, tenant, owner):
    channel = twilio_channel_setup(
        tenant=tenant,
        actor=owner,
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        api_key_sid=API_KEY_SID,
        api_key_secret=API_KEY_SECRET,
        sender="+55 11 99999-0002",
    )
    assert channel.config["api_key_sid"] == API_KEY_SID
    assert channel.secrets == {"auth_token": AUTH_TOKEN, "api_key_secret": API_KEY_SECRET}
    assert API_KEY_SECRET not in _audit_blob()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"auth_token": "f" * 32},  # wrong token
        {"auth_token": AUTH_TOKEN, "api_key_sid": API_KEY_SID, "api_key_secret": "errado" * 6},
        {"auth_token": AUTH_TOKEN, "account_sid": "AC" + "1" * 32},  # unknown account
    ],
)
def test_twilio_bad_credentials_pt_br_and_nothing_saved(twilio_server, tenant, owner, kwargs):
    twilio_server.state.accept_any = False
    args = {"account_sid": ACCOUNT_SID, "sender": "+5511999990002", **kwargs}
    with pytest.raises(ApplicationError) as err:
        twilio_channel_setup(tenant=tenant, actor=owner, **args)
    assert err.value.message == MSG_TWILIO_AUTH
    assert not Channel.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="messaging.channel").exists()


def test_twilio_unreachable_pt_br_and_nothing_saved(twilio_server, tenant, owner, settings):
    settings.TWILIO_API_BASE_URL = _closed_port_url()
    with pytest.raises(ApplicationError) as err:
        twilio_channel_setup(
            tenant=tenant,
            actor=owner,
            account_sid=ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
            sender="+5511999990002",
        )
    assert err.value.message == MSG_TWILIO_UNREACHABLE
    assert not Channel.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"account_sid": "XX123"}, "account_sid"),
        ({"sender": "123"}, "sender"),
        ({"auth_token": ""}, "auth_token"),
        ({"api_key_sid": "SKxyz"}, "api_key_sid"),
        ({"api_key_sid": API_KEY_SID, "api_key_secret": ""}, "api_key_secret"),
    ],
)
def test_twilio_invalid_input_field_errors(twilio_server, tenant, owner, kwargs, field):
    args = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "sender": "+5511999990002",
        **kwargs,
    }
    with pytest.raises(ApplicationError) as err:
        twilio_channel_setup(tenant=tenant, actor=owner, **args)
    assert err.value.field == field
    assert not Channel.objects.exists()


def test_twilio_update_keeps_stored_token_and_bad_update_changes_nothing(
    twilio_server, tenant, owner
):
    twilio_server.state.accept_any = False
    first = twilio_channel_setup(
        tenant=tenant,
        actor=owner,
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        sender="+5511999990002",
    )
    # Blank token: the stored one is verified again and kept; the sender changes.
    second = twilio_channel_setup(
        tenant=tenant, actor=owner, account_sid=ACCOUNT_SID, sender="+5511999990003"
    )
    assert second.pk == first.pk
    assert second.secrets == {"auth_token": AUTH_TOKEN}
    assert second.config["sender"] == "+5511999990003"
    before = Channel.objects.values().get(pk=first.pk)
    with pytest.raises(ApplicationError):
        twilio_channel_setup(
            tenant=tenant,
            actor=owner,
            account_sid=ACCOUNT_SID,
            auth_token="0" * 32,
            sender="+5511999990009",
        )
    assert Channel.objects.values().get(pk=first.pk) == before


def test_twilio_templates_add_validate_remove(twilio_server, tenant, owner):
    sid = "HX" + "a" * 32
    with pytest.raises(ApplicationError, match="Configure as credenciais"):
        twilio_template_add(
            tenant=tenant, actor=owner, name="Lembrete", content_sid=sid, variables=[]
        )
    twilio_channel_setup(
        tenant=tenant,
        actor=owner,
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        sender="+5511999990002",
    )
    channel = twilio_template_add(
        tenant=tenant,
        actor=owner,
        name="Lembrete de sessão",
        content_sid=sid,
        variables=["nome", " data ", ""],
    )
    assert channel.config["templates"] == [
        {"name": "Lembrete de sessão", "content_sid": sid, "variables": ["nome", "data"]}
    ]
    for kwargs, field in [
        ({"name": "lembrete de sessão", "content_sid": "HX" + "b" * 32}, "name"),
        ({"name": "Outro", "content_sid": sid}, "content_sid"),
        ({"name": "Outro", "content_sid": "HXcurto"}, "content_sid"),
        ({"name": "x", "content_sid": "HX" + "c" * 32}, "name"),
    ]:
        with pytest.raises(ApplicationError) as err:
            twilio_template_add(tenant=tenant, actor=owner, variables=[], **kwargs)
        assert err.value.field == field
    assert len(Channel.objects.get(pk=channel.pk).config["templates"]) == 1
    channel = twilio_template_remove(tenant=tenant, actor=owner, content_sid=sid)
    assert channel.config["templates"] == []
    with pytest.raises(ApplicationError, match="não encontrado"):
        twilio_template_remove(tenant=tenant, actor=owner, content_sid=sid)


# --- activation --------------------------------------------------------------------------------


def _configured(tenant, provider: str, *, active: bool = False) -> Channel:
    channel = Channel(tenant=tenant, provider=provider, is_active=active)
    if provider == Provider.EVOLUTION:
        channel.config = {"instance_name": f"inst-{tenant.slug}"}
        channel.set_secrets({"apikey": "K"})
    else:
        channel.config = {"account_sid": ACCOUNT_SID, "sender": "+5511999990002"}
        channel.set_secrets({"auth_token": AUTH_TOKEN})
    channel.save()
    return channel


def test_activation_is_exclusive_and_audited(tenant, other_tenant, owner):
    evo_channel = _configured(tenant, Provider.EVOLUTION)
    twilio_channel = _configured(tenant, Provider.TWILIO)
    foreign = _configured(other_tenant, Provider.EVOLUTION, active=True)

    channel_activate(tenant=tenant, actor=owner, provider=Provider.EVOLUTION)
    assert list(Channel.objects.filter(tenant=tenant, is_active=True)) == [evo_channel]

    channel_activate(tenant=tenant, actor=owner, provider=Provider.TWILIO)
    assert list(Channel.objects.filter(tenant=tenant, is_active=True)) == [twilio_channel]
    foreign.refresh_from_db()
    assert foreign.is_active  # another tenant's channel is untouched
    actions = list(
        AuditLog.objects.filter(tenant=tenant).order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "messaging.channel_activate",
        "messaging.channel_deactivate",
        "messaging.channel_activate",
    ]

    # Idempotent.
    channel_activate(tenant=tenant, actor=owner, provider=Provider.TWILIO)
    assert AuditLog.objects.filter(tenant=tenant).count() == 3

    assert channel_deactivate(tenant=tenant, actor=owner, provider=Provider.TWILIO)
    assert not Channel.objects.filter(tenant=tenant, is_active=True).exists()
    assert channel_deactivate(tenant=tenant, actor=owner, provider=Provider.TWILIO) is None


def test_activation_requires_a_configured_channel(tenant, owner):
    with pytest.raises(ApplicationError, match="Configure este canal"):
        channel_activate(tenant=tenant, actor=owner, provider=Provider.TWILIO)
    Channel.objects.create(tenant=tenant, provider=Provider.TWILIO)  # no credentials
    with pytest.raises(ApplicationError, match="Configure este canal"):
        channel_activate(tenant=tenant, actor=owner, provider=Provider.TWILIO)
    assert not Channel.objects.filter(is_active=True).exists()


def test_database_refuses_two_active_channels(tenant):
    _configured(tenant, Provider.EVOLUTION, active=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        _configured(tenant, Provider.TWILIO, active=True)
