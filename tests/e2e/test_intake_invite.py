"""Patient intake invite end to end: a member sends the invite from the conversation drawer,
the patient opens the public link in a fresh browser context (no session) and submits, and the
member reviews and accepts; the patient exists with a WhatsApp-linked phone. Screenshots of the
public page, the review list and the review page (test-artifacts/screenshots/)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from clinicrm.compliance.intake.models import IntakeSubmission
from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.messaging.models import Message
from clinicrm.messaging.tests.factories import make_channel, make_thread
from clinicrm.people.models import ContactPhone, Patient, Professional
from conftest import make_user
from tests.e2e.helpers import login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]


def test_invite_submit_review_accept(
    page: Page, browser: Browser, live_server, settings, screenshot_dir: Path
) -> None:
    settings.PUBLIC_BASE_URL = live_server.url
    tenant = Tenant.objects.create(name="Clínica Horizonte", slug="horizonte")
    owner = make_user("helena@horizonte.test")
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    Professional.objects.create(tenant=tenant, full_name="Dra. Helena Prado", user=owner)
    make_channel(tenant)
    thread = make_thread(tenant, thread_key="+5511977776666", contact_name="Mariana")
    base = live_server.url
    login(page, base, owner.email)

    # The drawer's panel sends the invite in the conversation and shows the link to copy.
    page.goto(f"{base}/conversas/{thread.pk}/")
    panel = page.get_by_test_id("intake-panel")
    panel.locator("summary").click()
    panel.get_by_role("button", name="Enviar convite de cadastro").click()
    link_input = page.get_by_test_id("intake-link")
    expect(link_input).to_have_value(re.compile(r"/cadastro/[^/]+/$"))
    link = link_input.input_value()
    sent = Message.objects.get(tenant=tenant, thread_key=thread.thread_key, direction="out")
    assert link in sent.body

    # The patient: a fresh context, no session.
    patient_context = browser.new_context(viewport={"width": 420, "height": 900}, locale="pt-BR")
    public = patient_context.new_page()
    public.goto(link)
    expect(public.get_by_test_id("intake-clinic")).to_have_text("Clínica Horizonte")
    expect(public.get_by_test_id("intake-inviter")).to_contain_text("Dra. Helena Prado")
    public.screenshot(path=str(screenshot_dir / "intake-public.png"), full_page=True)
    public.get_by_label("Nome completo").fill("Mariana Lopes")
    public.get_by_label("CPF").fill("529.982.247-25")
    public.get_by_label("Data de nascimento").fill("1991-03-14")
    public.get_by_label("Celular com WhatsApp").fill("(11) 97777-6666")
    public.get_by_label("E-mail (opcional)").fill("mariana@exemplo.com.br")
    # Without consent: refused in pt-BR, nothing stored.
    public.get_by_role("button", name="Enviar cadastro").click()
    expect(public.locator(".field-error")).to_contain_text("aceite os termos")
    assert not IntakeSubmission.objects.exists()
    public.get_by_label("Li e aceito os termos").check()
    public.get_by_role("button", name="Enviar cadastro").click()
    expect(public.get_by_test_id("intake-done")).to_be_visible()
    # The same link again: used.
    public.goto(link)
    expect(public.get_by_test_id("intake-refused")).to_contain_text("já foi usado")
    patient_context.close()

    # The clinic reviews and accepts.
    page.goto(f"{base}/pacientes/cadastros/")
    row = page.get_by_test_id("intake-list").get_by_role("link", name="Mariana Lopes")
    expect(row).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "intake-list.png"), full_page=True)
    row.click()
    expect(page.get_by_test_id("intake-match")).to_contain_text("Aceitar cria um novo paciente")
    page.screenshot(path=str(screenshot_dir / "intake-review.png"), full_page=True)
    page.get_by_role("button", name="Aceitar e criar paciente").click()
    page.wait_for_url(re.compile(r".*/pacientes/\d+/$"))

    patient = Patient.objects.get(tenant=tenant, cpf="52998224725")
    assert patient.full_name == "Mariana Lopes"
    phone = ContactPhone.objects.get(tenant=tenant, entity_type="patient", entity_id=patient.pk)
    assert phone.number_e164 == "+5511977776666"
    assert phone.whatsapp_linked
    assert IntakeSubmission.objects.get().status == "accepted"
