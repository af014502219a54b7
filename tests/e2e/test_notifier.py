# ruff: noqa: F811 - pytest fixtures imported from devtools.fake_evolution.testing
"""The global notifier and the phone simulator in a real browser, over a real ASGI server.

SSE needs ASGI (pytest-django's live_server is WSGI and buffers streams), so uvicorn serves
clinicrm.config.asgi:application in a thread on the test database. A "patient" types in the
simulator page; the fake Evolution delivers the webhook to the CRM; the clinic's dashboard, open
in another tab, shows the menu badge, the bell count and the popup without a reload. The clinic
replies; the simulator shows the reply and its ticks go to read.
"""

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from clinicrm.core.models import Membership, Notification, Role, Tenant
from clinicrm.devtools.fake_evolution.server import FakeEvolutionServer
from clinicrm.devtools.fake_evolution.testing import (  # noqa: F401
    INSTANCE,
    INSTANCE_TOKEN,
    fake_evolution,
)
from clinicrm.integrations.evolution.tests.helpers import make_channel
from clinicrm.messaging.models import Message
from clinicrm.messaging.services import message_send_perform
from clinicrm.people.models import Patient
from clinicrm.people.services import contact_phone_add
from conftest import make_user
from tests.e2e.helpers import Worker, login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

PATIENT = "+5511988887777"


def test_inbound_message_lights_the_notifier_and_simulator_round_trip(
    context: BrowserContext,
    asgi_url: str,
    fake_evolution: FakeEvolutionServer,
    screenshot_dir: Path,
) -> None:
    tenant = Tenant.objects.create(name="Clínica Aurora", slug="aurora")
    owner = make_user("dona@aurora.test")
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    patient = Patient.objects.create(tenant=tenant, full_name="Camila Prado")
    contact_phone_add(entity=patient, actor=None, number=PATIENT)
    channel = make_channel(tenant, server_url=fake_evolution.url)
    fake_evolution.create_open_instance(
        INSTANCE,
        token=INSTANCE_TOKEN,
        webhook={
            "url": f"{asgi_url}/webhooks/evolution/{channel.webhook_token}/",
            "enabled": True,
            "events": ["MESSAGES_UPSERT", "MESSAGES_UPDATE", "SEND_MESSAGE"],
            "headers": {"apikey": INSTANCE_TOKEN},
        },
    )
    fake_evolution.state.switches.auto_status = "delivered"
    Notification.objects.create(
        tenant=tenant,
        user=owner,
        kind="credits.low_balance",
        title="Saldo de créditos do WhatsApp baixo",
        body="Restam 8 créditos. Compre um pacote para não interromper os envios.",
        url="/configuracoes/creditos-whatsapp",
    )

    clinic = context.new_page()
    login(clinic, asgi_url, owner.email)
    expect(clinic.locator("[data-notifier-live]")).to_have_count(1)
    expect(clinic.get_by_test_id("bell-count")).to_have_text("1")
    expect(clinic.locator("#menu-badge-inbox")).to_be_hidden()
    # Mute is remembered across pages (localStorage).
    clinic.locator("#notif-mute").click()
    clinic.reload()
    expect(clinic.locator("#notif-mute")).to_have_attribute("aria-pressed", "true")
    clinic.locator("#notif-mute").click()
    expect(clinic.locator("#notif-mute")).to_have_attribute("aria-pressed", "false")

    with Worker(send_queued=False):
        # The "patient" writes from the simulator, in another tab of the same user.
        phone = context.new_page()
        phone.goto(f"{asgi_url}/simulador/?numero={PATIENT}")
        expect(phone.get_by_text("Você é +55 (11) 98888-7777")).to_be_visible()
        phone.get_by_label("Mensagem").fill("Oi! Posso remarcar para quinta?")
        phone.get_by_role("button", name="Enviar", exact=True).click()
        expect(phone.locator(".phone-bubble-patient")).to_contain_text("Posso remarcar")

        # The clinic's page, untouched, lights up.
        popup = clinic.get_by_test_id("message-popup")
        expect(popup).to_contain_text("Nova mensagem de Camila Prado", timeout=15000)
        # The first popup is announced: the live region has been on the page since it loaded.
        expect(clinic.locator("#live-polite")).to_have_text("Nova mensagem de Camila Prado")
        expect(clinic.locator("#notif-bell summary")).to_have_attribute(
            "aria-label", "Notificações: 2 não lidas"
        )
        expect(clinic.locator("#menu-badge-inbox")).to_have_text("1")
        expect(clinic.get_by_test_id("bell-count")).to_have_text("2")
        clinic.screenshot(path=str(screenshot_dir / "notifier-popup.png"))

        clinic.locator("#notif-bell summary").click()
        expect(clinic.locator("#notif-panel")).to_contain_text("1 conversa com mensagens não lidas")
        expect(clinic.locator("#notif-panel")).to_contain_text(
            "Saldo de créditos do WhatsApp baixo"
        )
        clinic.screenshot(path=str(screenshot_dir / "notifier-bell-panel.png"))
        clinic.get_by_role("button", name="Marcar todas como lidas").click()
        expect(clinic.get_by_test_id("bell-count")).to_have_text("1")

        # The clinic opens the conversation from the popup and replies.
        popup.get_by_role("link", name="Abrir conversa").click()
        clinic.wait_for_url(re.compile(r".*/conversas/.+/$"))
        expect(clinic.locator("#menu-badge-inbox")).to_be_hidden()
        expect(popup).to_have_count(0)  # acting on the popup dismissed it

        # A message on the open conversation shows in it and pops nothing over it; a message
        # from someone else, sent after it, still pops (so the first had its chance to).
        phone.get_by_label("Mensagem").fill("Pode ser às 15h?")
        phone.get_by_role("button", name="Enviar", exact=True).click()
        expect(clinic.locator(".bubble-in").filter(has_text="Pode ser às 15h?")).to_be_visible()
        stranger = context.new_page()
        stranger.goto(f"{asgi_url}/simulador/?numero=%2B5511977776666")
        stranger.get_by_label("Mensagem").fill("Bom dia, vocês atendem sábado?")
        stranger.get_by_role("button", name="Enviar", exact=True).click()
        expect(popup).to_have_count(1, timeout=15000)
        expect(popup).to_contain_text("Nova mensagem de Paciente simulado")
        popup.get_by_role("button", name="Fechar aviso").click()
        expect(popup).to_have_count(0)
        stranger.close()

        clinic.locator("#send-text").fill("Claro, Camila! Quinta às 15h?")
        clinic.locator("#send-box").get_by_role("button", name="Enviar", exact=True).click()
        expect(clinic.locator(".bubble-out")).to_contain_text("Quinta às 15h")
        reply = Message.objects.filter(direction="out").get()
        assert message_send_perform(message_id=reply.pk) == "ok"  # the task worker's job

        # The phone shows the reply (htmx polling every 2 s) with delivered ticks, then read.
        phone_reply = phone.get_by_test_id("sim-reply")
        expect(phone_reply).to_contain_text("Quinta às 15h", timeout=10000)
        expect(phone_reply).to_have_attribute("data-status", "delivered", timeout=10000)
        phone.get_by_role("button", name="Marcar como lida").click()
        expect(phone_reply).to_have_attribute("data-status", "read")
        phone.screenshot(path=str(screenshot_dir / "simulator-phone.png"), full_page=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            reply.refresh_from_db()
            if reply.status == "read":
                break
            time.sleep(0.1)
        assert reply.status == "read"

        # The clinic's page shows the read ticks too (reloaded: the live refresh of an open
        # thread page is conversation.js's job, covered by the messaging tests).
        clinic.reload()
        expect(clinic.locator(".bubble-out .tick-read")).to_have_count(1)

    clinic.goto(f"{asgi_url}/notificacoes/")
    expect(clinic.get_by_test_id("notification")).to_have_count(1)
    clinic.screenshot(path=str(screenshot_dir / "notifications-page.png"), full_page=True)
