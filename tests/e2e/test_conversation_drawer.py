"""The conversation drawer in a real browser over ASGI (SSE): opens at the newest message and
follows new ones while the reader is at the bottom, shows "novas mensagens ↓" when scrolled up,
loads older pages on scroll; a new patient message is announced once through the live region
(not history, not our own sends); Enter sends and Shift+Enter breaks the line; the send error is
tied to the text field and axe stays clean; "Assumir", a tag, a note; an unknown number becomes
a patient whose record shows the conversation in "Conversas"; and the same conversation at
390 px. Screenshots of the drawer, the tags page and the patient record's tabs at 1366 and 390 px
(test-artifacts/screenshots/).
"""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, ViewportSize, expect

from clinicrm.agenda.models import AppointmentStatus
from clinicrm.agenda.tests.factories import make_appointment
from clinicrm.automation.services import optout_manual_create
from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.crm.models import Assignment, Note, ThreadTag
from clinicrm.messaging.models import Channel, Message, Thread
from clinicrm.messaging.services import message_ingest
from clinicrm.messaging.tests.factories import inbound_text, make_channel
from clinicrm.people.models import ContactPhone, Patient
from conftest import make_user
from tests.e2e.helpers import login
from tests.e2e.test_accessibility import _serious

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

JID = "5511977776666@s.whatsapp.net"
WIDE = ViewportSize(width=1366, height=860)
PHONE = ViewportSize(width=390, height=844)


def _clinic(slug: str) -> tuple[Tenant, str]:
    tenant = Tenant.objects.create(name="Clínica Horizonte", slug=slug)
    owner = make_user(f"dona@{slug}.test")
    owner.first_name, owner.last_name = "Helena", "Prado"
    owner.save()
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    return tenant, owner.email


def _history(tenant: Tenant, count: int) -> Thread:
    """`count` messages over the last three days, alternating patient and clinic."""
    channel = make_channel(tenant)
    start = timezone.now() - dt.timedelta(days=3)
    for i in range(count):
        message_ingest(
            channel=channel,
            inbound=inbound_text(
                f"H{i}",
                jid=JID,
                body=f"Mensagem {i}: tudo certo para a sessão?",
                ts=start + dt.timedelta(hours=i),
                from_me=i % 3 == 2,
                status="read",
                contact_name="Mariana Lopes",
            ),
        )
    return Thread.objects.get(tenant=tenant)


def _inbound(tenant: Tenant, pid: str, body: str) -> Message:
    channel = Channel.objects.get(tenant=tenant, is_active=True)
    message_ingest(channel=channel, inbound=inbound_text(pid, jid=JID, body=body))
    return Message.objects.get(provider_message_id=pid)


def _in_view(page: Page, message: Message) -> None:
    expect(page.locator(f"#msg-{message.pk}")).to_be_in_viewport()


def _scroll_to_top(page: Page) -> None:
    """Scroll the timeline to its top as a reader would, and again if it went back down: the
    scroll event fires at the next frame, and a late layout change before it (a live message's
    follow-up, a player taking its height) may have put the timeline back at the bottom."""
    timeline = page.locator("#timeline")
    for _ in range(20):
        timeline.evaluate("el => { el.scrollTop = 0; }")
        page.wait_for_timeout(300)
        if timeline.evaluate("el => el.scrollTop < el.clientHeight"):
            return
    raise AssertionError("the timeline kept going back to the bottom")


def _organise(page: Page, thread: Thread, email: str) -> None:
    """ "Assumir", a tag and a note from the drawer's panels, at whatever width the page has."""
    # "Assumir": the chip says "Eu".
    page.get_by_role("button", name="Assumir").click()
    expect(page.get_by_test_id("assignee")).to_have_text("Eu")
    assert Assignment.objects.get(thread=thread).assigned_to.email == email  # type: ignore[union-attr]

    # A tag from the popover shows as a pill.
    page.get_by_text("+ Etiqueta").click()
    page.locator("#crm-tags .tag-option", has_text="Urgente").click()
    expect(page.get_by_test_id("tag-pill")).to_contain_text("Urgente")
    assert ThreadTag.objects.filter(thread=thread, tag__system_code="urgent").exists()

    # An internal note.
    page.locator("#crm-notes > summary").click()
    page.get_by_label("Nova nota").fill("Prefere horários depois das 18h.")
    page.get_by_role("button", name="Salvar nota").click()
    expect(page.get_by_test_id("note")).to_contain_text("depois das 18h")
    assert Note.objects.get(thread=thread).body == "Prefere horários depois das 18h."
    page.locator("#crm-notes > summary").click()


def test_drawer_opens_at_newest_follows_sends_and_organises(
    context: BrowserContext, asgi_url: str, screenshot_dir: Path
) -> None:
    tenant, email = _clinic("gaveta")
    thread = _history(tenant, 70)
    newest = Message.objects.filter(tenant=tenant).order_by("-provider_timestamp").first()
    oldest = Message.objects.filter(tenant=tenant).order_by("provider_timestamp").first()
    assert newest and oldest
    page = context.new_page()
    page.set_viewport_size(WIDE)
    login(page, asgi_url, email)
    page.goto(f"{asgi_url}/conversas/{thread.pk}/")
    expect(page.locator("[data-notifier-live]")).to_have_count(1)

    # Opens at the newest message; only the newest page is loaded.
    _in_view(page, newest)
    expect(page.locator(f"#msg-{oldest.pk}")).to_have_count(0)
    page.evaluate("window.__noReload = 1")

    # A new message from the patient: the reader is at the bottom, the drawer follows it.
    first = _inbound(tenant, "N1", "Posso levar meu filho junto?")
    _in_view(page, first)
    # ... and a screen reader hears it once, briefly, through the page's live region; the bubble
    # itself says who wrote it.
    name = page.get_by_test_id("conversation-name").inner_text()
    live = page.locator("#live-polite")
    expect(live).to_have_text(f"Nova mensagem de {name}: Posso levar meu filho junto?")
    expect(page.locator(f"#msg-{first.pk} > .sr-only")).to_have_text("Paciente:")

    # Scrolled up, the older page loads in place; a new message shows the pill instead.
    _scroll_to_top(page)
    expect(page.locator(f"#msg-{oldest.pk}")).to_have_count(1)
    page.wait_for_timeout(300)  # an older page is history: nothing new is announced
    expect(live).to_have_text(f"Nova mensagem de {name}: Posso levar meu filho junto?")
    _scroll_to_top(page)
    second = _inbound(tenant, "N2", "Outra pergunta: tem estacionamento?")
    pill = page.locator("[data-new-pill]")
    expect(pill).to_be_visible()
    expect(live).to_have_text(f"Nova mensagem de {name}: Outra pergunta: tem estacionamento?")
    expect(page.locator(f"#msg-{second.pk}")).not_to_be_in_viewport()
    pill.click()
    _in_view(page, second)
    expect(pill).to_be_hidden()

    # Enter sends, Shift+Enter breaks the line; an empty Enter sends nothing.
    text = page.locator("#send-text")
    text.click()
    text.press("Enter")
    text.type("Pode sim, Mariana.")
    text.press("Shift+Enter")
    text.type("Temos estacionamento.")
    expect(text).to_have_value("Pode sim, Mariana.\nTemos estacionamento.")
    text.press("Enter")
    sent = page.locator("#timeline .bubble-out").last
    expect(sent).to_contain_text("Temos estacionamento.")
    expect(page.locator("#send-text")).to_have_value("")
    out = Message.objects.filter(tenant=tenant, direction="out", sent_by__isnull=False)
    assert [m.body for m in out] == ["Pode sim, Mariana.\nTemos estacionamento."]
    _in_view(page, out[0])
    # Our own message is not announced; its bubble reads "Você:" and the delivery status.
    page.wait_for_timeout(300)
    expect(live).to_have_text(f"Nova mensagem de {name}: Outra pergunta: tem estacionamento?")
    expect(sent.locator("> .sr-only")).to_have_text("Você:")
    expect(sent.locator(".tick .sr-only, .tick-doubt")).to_have_count(1)

    # An empty message by the button: a pt-BR reason, nothing sent.
    page.locator("#send-box").get_by_role("button", name="Enviar", exact=True).click()
    expect(page.locator("[data-send-error]")).to_contain_text("Escreva uma mensagem")
    text = page.locator("#send-text")
    expect(text).to_have_attribute("aria-invalid", "true")
    expect(text).to_have_attribute("aria-describedby", "send-error")
    expect(page.locator("#send-error")).to_contain_text("Escreva uma mensagem")
    assert _serious(page, "drawer (send error, live messages)") == []
    assert out.count() == 1

    _organise(page, thread, email)
    assert page.evaluate("window.__noReload") == 1, "the page was reloaded"
    page.screenshot(path=str(screenshot_dir / "drawer-1366.png"))
    page.goto(f"{asgi_url}/configuracoes/etiquetas/")
    page.screenshot(path=str(screenshot_dir / "tags-1366.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.reload()
    page.screenshot(path=str(screenshot_dir / "tags-390.png"), full_page=True)


def test_unknown_number_becomes_a_patient_with_the_conversation_in_the_record(
    context: BrowserContext, asgi_url: str, screenshot_dir: Path
) -> None:
    tenant, email = _clinic("desconhecido")
    thread = _history(tenant, 6)
    page = context.new_page()
    page.set_viewport_size(WIDE)
    login(page, asgi_url, email)
    page.goto(f"{asgi_url}/conversas/{thread.pk}/")
    expect(page.get_by_test_id("conversation-name")).to_have_text("Mariana Lopes")

    page.get_by_role("button", name="Cadastrar paciente").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_label("Nome completo")).to_have_value("Mariana Lopes")
    dialog.get_by_label("Nome completo").fill("Mariana Lopes Araújo")
    dialog.get_by_role("button", name="Cadastrar e vincular").click()
    expect(page.get_by_test_id("conversation-name")).to_have_text("Mariana Lopes Araújo")
    patient = Patient.objects.get(tenant=tenant)
    assert Thread.objects.get(pk=thread.pk).patient_id == patient.pk

    # The record's "Conversas" tab shows the conversation; "Abrir no CRM" opens the drawer.
    page.get_by_test_id("patient-record-link").click()
    page.wait_for_url(f"{asgi_url}/pacientes/{patient.pk}/")
    page.locator("#patient-tabs a[data-tab='conversas']").click()
    page.wait_for_url(f"{asgi_url}/pacientes/{patient.pk}/?aba=conversas")
    panel = page.get_by_test_id("patient-conversations")
    expect(panel.get_by_test_id("stat-total")).to_have_text("6")
    expect(panel).to_contain_text("Mensagem 5: tudo certo para a sessão?")
    expect(panel.locator(".tick-read").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "patient-conversas-1366.png"), full_page=True)
    panel.get_by_role("link", name="Recebidas").click()
    expect(panel).not_to_contain_text("Mensagem 5:")
    expect(panel).to_contain_text("Mensagem 4:")

    panel.get_by_test_id("open-in-crm").click()
    drawer = page.locator("#drawer")
    expect(drawer).to_be_visible()
    expect(drawer.get_by_test_id("conversation-name")).to_have_text("Mariana Lopes Araújo")
    page.wait_for_url(f"{asgi_url}/conversas/{thread.pk}/")
    page.screenshot(path=str(screenshot_dir / "drawer-over-patient-1366.png"))
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    page.wait_for_url(f"{asgi_url}/pacientes/{patient.pk}/?aba=conversas&direcao=recebidas")

    page.set_viewport_size(PHONE)
    page.goto(f"{asgi_url}/pacientes/{patient.pk}/?aba=conversas")
    page.screenshot(path=str(screenshot_dir / "patient-conversas-390.png"), full_page=True)
    page.goto(f"{asgi_url}/pacientes/{patient.pk}/?aba=dados")
    page.screenshot(path=str(screenshot_dir / "patient-dados-390.png"), full_page=True)


def test_conversation_at_phone_width(
    context: BrowserContext, asgi_url: str, screenshot_dir: Path
) -> None:
    tenant, email = _clinic("celular")
    thread = _history(tenant, 30)
    newest = Message.objects.filter(tenant=tenant).order_by("-provider_timestamp").first()
    assert newest
    page = context.new_page()
    page.set_viewport_size(PHONE)
    login(page, asgi_url, email)
    page.goto(f"{asgi_url}/conversas/{thread.pk}/")
    _in_view(page, newest)
    send = page.locator("#send-box").get_by_role("button", name="Enviar", exact=True)
    expect(send).to_be_in_viewport()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways ({width} px)"
    page.screenshot(path=str(screenshot_dir / "drawer-390.png"))
    text = page.locator("#send-text")
    text.fill("Confirmado!")
    text.press("Enter")
    expect(page.locator("#timeline .bubble-out").last).to_contain_text("Confirmado!")
    arrived = _inbound(tenant, "P1", "Obrigada!")
    _in_view(page, arrived)
    _organise(page, thread, email)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways with the panels open ({width} px)"
    page.screenshot(path=str(screenshot_dir / "drawer-organised-390.png"))

    # The patient opted out meanwhile: the drawer asks before sending (LGPD), then sends.
    owner = Membership.objects.get(tenant=tenant).user
    optout_manual_create(tenant=tenant, actor=owner, number=thread.thread_key, reason="Pediu")
    text = page.locator("#send-text")
    text.fill("Só confirmando o horário.")
    text.press("Enter")
    confirm = page.locator("[data-confirm-send]")
    expect(confirm).to_be_visible()
    sent = Message.objects.filter(tenant=tenant, body="Só confirmando o horário.")
    assert not sent.exists()
    confirm.get_by_role("button", name="Enviar mesmo assim").click()
    expect(page.locator("#timeline .bubble-out").last).to_contain_text("Só confirmando")
    assert sent.count() == 1


def test_unknown_number_linked_to_an_existing_patient_at_phone_width(
    context: BrowserContext, asgi_url: str, screenshot_dir: Path
) -> None:
    tenant, email = _clinic("vincular")
    thread = _history(tenant, 6)
    joao = Patient.objects.create(tenant=tenant, full_name="João Araújo Dias")
    Patient.objects.create(tenant=tenant, full_name="Joana Prado")
    upcoming = make_appointment(
        tenant, patient=joao, day=timezone.localdate() + dt.timedelta(days=3)
    )
    make_appointment(
        tenant,
        patient=joao,
        professional=upcoming.professional,
        day=timezone.localdate() - dt.timedelta(days=4),
        status=AppointmentStatus.ATTENDED,
    )
    page = context.new_page()
    page.set_viewport_size(PHONE)
    login(page, asgi_url, email)
    page.goto(f"{asgi_url}/conversas/{thread.pk}/")
    expect(page.get_by_test_id("conversation-name")).to_have_text("Mariana Lopes")

    # "Vincular existente": typed without accents, the search finds João (not Joana).
    page.get_by_role("button", name="Vincular existente").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Buscar por nome, CPF ou telefone").fill("joao")
    results = dialog.get_by_test_id("patient-results").locator("li")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("João Araújo Dias")
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / "drawer-link-existing-390.png"))
    results.first.get_by_role("button", name="Vincular").click()
    expect(page.get_by_test_id("conversation-name")).to_have_text("João Araújo Dias")
    expect(page.locator("dialog[open]")).to_have_count(0)
    assert Thread.objects.get(pk=thread.pk).patient_id == joao.pk
    phone = ContactPhone.objects.get(entity_id=joao.pk)
    assert phone.number_e164 == thread.thread_key and phone.whatsapp_linked

    # The patient's record shows the conversation in "Conversas", the appointments in "Consultas".
    page.get_by_test_id("patient-record-link").click()
    page.wait_for_url(f"{asgi_url}/pacientes/{joao.pk}/")
    # Every tab shows at phone width (they scrolled sideways, cut at "Conve", LGPD out of sight).
    tabs = page.locator("#patient-tabs")
    assert tabs.evaluate("el => el.scrollWidth - el.clientWidth") <= 0, "the tab bar is cut off"
    page.locator("#patient-tabs a[data-tab='conversas']").click()
    panel = page.get_by_test_id("patient-conversations")
    expect(panel.get_by_test_id("stat-total")).to_have_text("6")
    expect(panel).to_contain_text("Mensagem 5: tudo certo para a sessão?")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the record scrolls sideways ({width} px)"
    page.locator("#patient-tabs a[data-tab='consultas']").click()
    page.wait_for_url(f"{asgi_url}/pacientes/{joao.pk}/?aba=consultas")
    expect(page.get_by_test_id("appointments-upcoming").locator("li")).to_contain_text(
        [f"{upcoming.professional.full_name} Agendada"]
    )
    expect(page.get_by_test_id("appointments-past").locator("li")).to_contain_text(["Compareceu"])
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the Consultas tab scrolls sideways ({width} px)"
    page.screenshot(path=str(screenshot_dir / "patient-consultas-390.png"), full_page=True)
