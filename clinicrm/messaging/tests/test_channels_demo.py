"""Demo wiring: the seed gives each demo tenant an active channel, and the start-up provisioning
registers them on freshly started fakes (real HTTP) so the demo works offline."""

import pytest

from clinicrm.devtools.fake_evolution.testing import fake_evolution  # noqa: F401
from clinicrm.devtools.fake_twilio import DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN
from clinicrm.devtools.fake_twilio.testing import fake_twilio  # noqa: F401
from clinicrm.devtools.seed import (
    DEMO_EVOLUTION_INSTANCE,
    demo_channels_provision,
    seed_demo,
)
from clinicrm.messaging.models import Channel, ChannelStatus, Provider
from clinicrm.messaging.tests.test_channels_services import PUBLIC


@pytest.fixture
def seeded(db):
    return seed_demo()


def test_seed_creates_one_active_channel_per_demo_tenant_idempotently(seeded):
    assert seeded.created["channels"] == 2
    clinic = Channel.objects.get(tenant__slug="bem-estar")
    solo = Channel.objects.get(tenant__slug="dra-ana-lima")
    assert clinic.provider == Provider.EVOLUTION and clinic.is_active
    assert clinic.config["instance_name"] == DEMO_EVOLUTION_INSTANCE and clinic.secrets["apikey"]
    assert solo.provider == Provider.TWILIO and solo.is_active
    assert solo.config["account_sid"] == DEMO_ACCOUNT_SID
    assert solo.secrets == {"auth_token": DEMO_AUTH_TOKEN}
    assert solo.config["templates"][0]["content_sid"].startswith("HX")
    assert "channels" not in seed_demo().created
    assert Channel.objects.count() == 2


def test_provision_registers_the_demo_channels_on_the_fakes(
    seeded,
    fake_evolution,  # noqa: F811
    fake_twilio,  # noqa: F811
):
    fake_twilio.state.accounts.clear()
    lines = demo_channels_provision(
        public_url=PUBLIC,
        fake_urls={"fake_evolution": fake_evolution.url, "fake_twilio": fake_twilio.url},
    )
    assert len(lines) == 2
    clinic = Channel.objects.get(tenant__slug="bem-estar")
    inst = fake_evolution.state.instances[DEMO_EVOLUTION_INSTANCE]
    assert inst.state == "open"
    assert inst.token == clinic.secrets["apikey"]
    assert inst.webhook["url"] == f"{PUBLIC}/webhooks/evolution/{clinic.webhook_token}/"
    assert clinic.status == ChannelStatus.OPEN
    solo = Channel.objects.get(tenant__slug="dra-ana-lima")
    assert fake_twilio.state.accounts[DEMO_ACCOUNT_SID] == DEMO_AUTH_TOKEN
    expected = f"{PUBLIC}/webhooks/twilio/{solo.webhook_token}/inbound/"
    assert fake_twilio.state.inbound_urls[DEMO_ACCOUNT_SID] == expected

    # A second start (fresh fakes in real life; here the same ones) works too.
    fake_evolution.state.reset()
    demo_channels_provision(public_url=PUBLIC, fake_urls={"fake_evolution": fake_evolution.url})
    assert fake_evolution.state.instances[DEMO_EVOLUTION_INSTANCE].state == "open"
