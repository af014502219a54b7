# ruff: noqa: F811 - pytest fixtures imported from devtools.fake_evolution.testing
"""A whole conversation in real browsers over a real ASGI server, with the page never reloaded.

SSE needs ASGI (pytest-django's live_server is WSGI and buffers streams), so uvicorn serves
clinicrm.config.asgi:application in a thread on the test database (as in test_notifier.py). The
clinic keeps a conversation OPEN in one tab; a "patient" writes from the phone simulator in
another; the message shows up in the clinic's tab, the clinic replies, the phone shows the reply
and marks it read, and the clinic's ticks turn blue, all without a reload (a JS marker set on the
clinic's page must survive to the end).

A second test opens a Twilio conversation whose 24-hour window is open (countdown in the header,
template picker offered) and one whose window is closed (free text disabled, templates only), and
saves screenshots of both.
"""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, expect

from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.credits.services import credits_add
from clinicrm.devtools.fake_evolution.server import FakeEvolutionServer
from clinicrm.devtools.fake_evolution.testing import (  # noqa: F401
    INSTANCE,
    INSTANCE_TOKEN,
    fake_evolution,
)
from clinicrm.integrations.evolution.tests.helpers import make_channel
from clinicrm.messaging.models import Channel, ChannelStatus, Message, Provider, Thread
from clinicrm.messaging.services import message_ingest
from clinicrm.messaging.tests.factories import inbound_text
from clinicrm.people.models import Patient
from clinicrm.people.services import contact_phone_add
from conftest import make_user
from tests.e2e.helpers import Worker, login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

PATIENT = "+5511977776666"
PATIENT_JID = "5511977776666@s.whatsapp.net"
TEMPLATE_SID = "HX" + "a" * 32


def _clinic(slug: str) -> tuple[Tenant, str]:
    tenant = Tenant.objects.create(name="Clínica Horizonte", slug=slug)
    owner = make_user(f"dona@{slug}.test")
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    return tenant, owner.email


def test_open_conversation_follows_the_patient_live_until_read_ticks(
    context: BrowserContext,
    asgi_url: str,
    fake_evolution: FakeEvolutionServer,
    screenshot_dir: Path,
) -> None:
    tenant, email = _clinic("horizonte")
    patient = Patient.objects.create(tenant=tenant, full_name="Rafael Souza")
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
    # Yesterday's message: the conversation exists and the clinic has it open.
    message_ingest(
        channel=channel,
        inbound=inbound_text(
            jid=PATIENT_JID,
            body="Bom dia, tudo bem?",
            ts=timezone.now() - dt.timedelta(days=1),
        ),
    )
    thread = Thread.objects.get(tenant=tenant)
    assert thread.thread_key == PATIENT

    # Count the EventSources each document opens (the browser allows 6 connections per host).
    context.add_init_script(
        "window.__streams = 0; (function (Orig) { window.EventSource = function (u, o) {"
        " window.__streams += 1; return new Orig(u, o); }; })(window.EventSource);"
    )
    clinic = context.new_page()
    login(clinic, asgi_url, email)
    clinic.goto(f"{asgi_url}/conversas/{thread.pk}/")
    expect(clinic.locator("#timeline")).to_contain_text("Bom dia, tudo bem?")
    expect(clinic.locator("[data-notifier-live]")).to_have_count(1)
    # One stream per page: the page scripts listen to the notifier's, it does not open a second one.
    assert clinic.evaluate("window.__streams") == 1
    # Evolution: free text always, no template picker, no window countdown.
    expect(clinic.locator("#template-form")).to_have_count(0)
    expect(clinic.locator("#thread-window")).to_have_count(0)
    clinic.evaluate("window.__roundtripMarker = 'still-here'")

    # The inbox list, open in another tab, follows too.
    inbox = context.new_page()
    inbox.goto(f"{asgi_url}/conversas/")
    expect(inbox.locator(".thread-preview")).to_have_text("Bom dia, tudo bem?")

    with Worker(send_queued=True):
        phone = context.new_page()
        phone.goto(f"{asgi_url}/simulador/?numero={PATIENT}")
        phone.get_by_label("Mensagem").fill("Consigo um horário amanhã cedo?")
        phone.get_by_role("button", name="Enviar", exact=True).click()
        expect(phone.locator(".phone-bubble-patient")).to_contain_text("amanhã cedo")

        # The open conversation shows the new message without a reload.
        expect(clinic.locator("#timeline .bubble-in")).to_have_count(2, timeout=15000)
        expect(clinic.locator("#timeline")).to_contain_text("Consigo um horário amanhã cedo?")
        expect(inbox.locator(".thread-preview")).to_have_text("Consigo um horário amanhã cedo?")

        clinic.locator("#send-text").fill("Consegue sim, Rafael: 8h30?")
        clinic.locator("#send-box").get_by_role("button", name="Enviar", exact=True).click()
        bubble_out = clinic.locator("#timeline .bubble-out")
        expect(bubble_out).to_contain_text("8h30")

        # The phone shows the reply (the worker sent it), delivered; the patient reads it.
        phone_reply = phone.get_by_test_id("sim-reply")
        expect(phone_reply).to_contain_text("8h30", timeout=15000)
        expect(phone_reply).to_have_attribute("data-status", "delivered", timeout=15000)
        # The clinic's ticks follow live: delivered first...
        # (the glyphs are for the eye; screen readers read the status label beside them)
        expect(bubble_out.locator(".tick > [aria-hidden='true']")).to_have_text("✓✓", timeout=15000)
        expect(bubble_out.locator(".tick .sr-only")).to_have_text("Entregue")
        expect(bubble_out.locator(".tick-read")).to_have_count(0)
        phone.get_by_role("button", name="Marcar como lida").click()
        expect(phone_reply).to_have_attribute("data-status", "read")

        # ...then blue (read), still without a reload.
        expect(bubble_out.locator(".tick-read")).to_have_count(1, timeout=15000)
        expect(bubble_out.locator(".tick-read > [aria-hidden='true']")).to_have_text("✓✓")
        expect(bubble_out.locator(".tick-read .sr-only")).to_have_text("Lida")
    assert clinic.evaluate("window.__roundtripMarker") == "still-here"
    reply = Message.objects.get(direction="out")
    assert reply.status == "read"
    clinic.screenshot(path=str(screenshot_dir / "thread-roundtrip-read.png"))


def _twilio_channel(tenant: Tenant) -> Channel:
    channel = Channel(
        tenant=tenant,
        provider=Provider.TWILIO,
        display_name="WhatsApp oficial",
        is_active=True,
        status=ChannelStatus.ACTIVE,
        config={
            "account_sid": "AC" + "1" * 32,
            "sender": "+5511999990000",
            "templates": [
                {
                    "name": "Lembrete de sessão",
                    "content_sid": TEMPLATE_SID,
                    "variables": ["nome do paciente", "data e hora"],
                    "body": "Olá, {{1}}! Lembrete da sua sessão em {{2}}. Responda SIM para "
                    "confirmar.",
                },
                {
                    "name": "Retorno pendente",
                    "content_sid": "HX" + "b" * 32,
                    "variables": ["nome do paciente"],
                },
            ],
        },
    )
    channel.set_secrets({"auth_token": "t" * 32})
    channel.save()
    return channel


def test_twilio_thread_shows_the_window_countdown_and_the_template_picker(
    context: BrowserContext, asgi_url: str, screenshot_dir: Path
) -> None:
    tenant, email = _clinic("oficial")
    _twilio_channel(tenant)
    credits_add(tenant=tenant, amount=10, kind="adjustment", note="teste")
    now = timezone.now()
    # The patient wrote 18 h 48 min ago (and a bit): the window closes in 5 h 12 min.
    open_thread = Thread.objects.create(
        tenant=tenant,
        thread_key="+5511955554444",
        contact_name="Júlia Andrade",
        last_inbound_at=now - dt.timedelta(hours=18, minutes=47, seconds=30),
        last_message_at=now - dt.timedelta(hours=18, minutes=47, seconds=30),
    )
    closed_thread = Thread.objects.create(
        tenant=tenant,
        thread_key="+5511944443333",
        contact_name="Marcos Lima",
        last_inbound_at=now - dt.timedelta(days=3),
        last_message_at=now - dt.timedelta(days=3),
    )

    page = context.new_page()
    page.clock.install()
    login(page, asgi_url, email)
    page.goto(f"{asgi_url}/conversas/{open_thread.pk}/")
    pill = page.get_by_test_id("window-countdown")
    expect(pill).to_have_text("Janela de 24 h: fecha em 5 h 12 min")
    expect(page.locator("#send-text")).to_be_enabled()
    expect(page.locator("[data-window-closed-notice]")).to_be_hidden()
    # Inside the window the templates are offered too (folded away).
    picker = page.get_by_test_id("template-picker")
    picker.locator("summary").click()
    expect(page.locator("#template-select")).to_have_value(TEMPLATE_SID)
    page.get_by_label("nome do paciente").first.fill("Júlia")
    page.get_by_label("data e hora").fill("sexta, 14h")
    expect(picker.locator("[data-template-preview]:visible")).to_have_text(
        "Olá, Júlia! Lembrete da sua sessão em sexta, 14h. Responda SIM para confirmar."
    )
    page.screenshot(path=str(screenshot_dir / "thread-window-countdown.png"), full_page=True)

    # The page's minute tick: an hour later the countdown moved, at 5 h 13 min it closes.
    page.clock.fast_forward("01:00:00")
    expect(pill).to_have_text("Janela de 24 h: fecha em 4 h 12 min")
    page.clock.fast_forward("04:13:00")
    expect(pill).to_have_text("Janela fechada")
    expect(page.locator("#send-text")).to_be_disabled()
    expect(page.locator("[data-window-closed-notice]")).to_be_visible()

    # A closed window: free text disabled with the explanation, templates are the way to write.
    page.goto(f"{asgi_url}/conversas/{closed_thread.pk}/")
    expect(page.get_by_test_id("window-countdown")).to_have_text("Janela fechada")
    expect(page.locator("#send-text")).to_be_disabled()
    expect(page.locator("[data-window-closed-notice]")).to_contain_text(
        "só aceita modelos aprovados"
    )
    picker = page.get_by_test_id("template-picker")
    expect(picker).to_have_attribute("open", "")
    page.locator("#template-select").select_option(label="Retorno pendente")
    expect(picker.locator("[data-template-preview]:visible")).to_have_text(
        "Retorno pendente — nome do paciente: [nome do paciente]"
    )
    # Missing variable: pt-BR error under the input, nothing sent.
    picker.get_by_role("button", name="Enviar modelo").click()
    expect(picker.locator(".field-error")).to_have_text("Preencha “nome do paciente”.")
    assert not Message.objects.exists()
    picker.locator("input[name=var_1]:visible").fill("Marcos")
    expect(picker.locator(".field-error")).to_have_count(0)  # stale once typed in
    expect(picker.locator("[data-template-preview]:visible")).to_have_text(
        "Retorno pendente — nome do paciente: Marcos"
    )
    page.evaluate("window.scrollTo(0, 0)")  # full-page shots of a scrolled page misplace the header
    page.screenshot(path=str(screenshot_dir / "thread-template-picker.png"), full_page=True)
    picker.get_by_role("button", name="Enviar modelo").click()
    expect(page.locator("#timeline .bubble-out")).to_contain_text(
        "Retorno pendente — nome do paciente: Marcos"
    )
    sent = Message.objects.get()
    assert sent.kind == "template" and sent.extra["variables"] == {"1": "Marcos"}
    assert sent.credit_charged
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / "thread-template-sent.png"), full_page=True)
