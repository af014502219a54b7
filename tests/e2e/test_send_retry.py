# ruff: noqa: F811 - pytest fixtures imported from devtools.fake_evolution.testing
"""A send that fails, retried from the conversation at 390 px over a real ASGI server, with the
fake Evolution server behind it and a background worker doing the sends.

Twice: the clinic's own request never reaches the server (the connection drops), so the send box
keeps the text and offers "Tentar novamente"; and the provider refuses one send (HTTP 429), so
the bubble says why in pt-BR and offers "Tentar novamente", which sends the same text again.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, ViewportSize, expect

from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.devtools.fake_evolution.server import FakeEvolutionServer
from clinicrm.devtools.fake_evolution.testing import (  # noqa: F401
    INSTANCE,
    INSTANCE_TOKEN,
    fake_evolution,
)
from clinicrm.integrations.evolution.tests.helpers import make_channel
from clinicrm.messaging.models import Message, Thread
from clinicrm.messaging.services import message_ingest
from clinicrm.messaging.tests.factories import inbound_text
from conftest import make_user
from tests.e2e.helpers import Worker, login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

PATIENT_JID = "5511977776666@s.whatsapp.net"
PHONE = ViewportSize(width=390, height=844)


def test_a_failed_send_is_retried_from_the_conversation(
    context: BrowserContext,
    asgi_url: str,
    fake_evolution: FakeEvolutionServer,
    screenshot_dir: Path,
) -> None:
    tenant = Tenant.objects.create(name="Clínica Horizonte", slug="reenvio")
    owner = make_user("dona@reenvio.test")
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    channel = make_channel(tenant, server_url=fake_evolution.url)
    fake_evolution.create_open_instance(
        INSTANCE,
        token=INSTANCE_TOKEN,
        webhook={
            "url": f"{asgi_url}/webhooks/evolution/{channel.webhook_token}/",
            "enabled": True,
            "events": ["MESSAGES_UPDATE", "SEND_MESSAGE"],
            "headers": {"apikey": INSTANCE_TOKEN},
        },
    )
    fake_evolution.state.switches.auto_status = "delivered"
    message_ingest(channel=channel, inbound=inbound_text(jid=PATIENT_JID, body="Posso remarcar?"))
    thread = Thread.objects.get(tenant=tenant)
    out = Message.objects.filter(tenant=tenant, direction="out").order_by("pk")

    page = context.new_page()
    page.set_viewport_size(PHONE)
    login(page, asgi_url, owner.email)
    page.goto(f"{asgi_url}/conversas/{thread.pk}/")
    expect(page.locator("[data-notifier-live]")).to_have_count(1)
    text = page.locator("#send-text")
    bubbles = page.locator("#timeline .bubble-out")

    with Worker(send_queued=True):
        # The connection drops on the way: nothing reaches the server, the text stays.
        page.route(re.compile(r"/enviar/$"), lambda route: route.abort(), times=1)
        text.fill("Pode sim, às 15h?")
        text.press("Enter")
        retry_box = page.locator("[data-send-retry]")
        expect(retry_box).to_be_visible()
        expect(retry_box).to_contain_text("Sua mensagem continua aqui")
        expect(text).to_have_value("Pode sim, às 15h?")
        assert not out.exists()
        retry_box.get_by_role("button", name="Tentar novamente").click()
        expect(bubbles.last).to_contain_text("Pode sim, às 15h?")
        expect(page.locator("[data-send-retry]")).to_be_hidden()
        expect(text).to_have_value("")
        assert [m.body for m in out.all()] == ["Pode sim, às 15h?"]
        expect(bubbles.last.locator(".tick .sr-only")).to_have_text("Entregue")

        # The provider refuses one send: the bubble says why, and offers to send it again.
        fake_evolution.state.switches.fail_next = [429]
        text.fill("Confirmado para sexta.")
        text.press("Enter")
        failed = page.locator("#timeline .bubble-failed")
        expect(failed).to_contain_text("Muitas mensagens em pouco tempo")
        expect(failed).to_contain_text("Confirmado para sexta.")
        page.screenshot(path=str(screenshot_dir / "send-failed-390.png"))
        failed.get_by_role("button", name="Tentar novamente").click()
        expect(bubbles).to_have_count(3)
        expect(bubbles.last).to_contain_text("Confirmado para sexta.")
        expect(bubbles.last.locator(".tick .sr-only")).to_have_text("Entregue")
        # The failed one stays in the history as it was, without the button now.
        expect(failed).to_have_count(1)
        expect(failed.get_by_role("button", name="Tentar novamente")).to_have_count(0)
    assert [(m.body, m.status) for m in out.all()] == [
        ("Pode sim, às 15h?", "delivered"),
        ("Confirmado para sexta.", "failed"),
        ("Confirmado para sexta.", "delivered"),
    ]
    assert fake_evolution.state.switches.fail_next == []
    page.screenshot(path=str(screenshot_dir / "send-retried-390.png"))
