"""A clinic member logs in, registers a patient with two phones and makes the second one the
primary, all through the UI; the change shows up without a full page reload."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.people import services
from clinicrm.people.models import ContactPhone, Patient
from conftest import make_user
from tests.e2e.helpers import login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]


def test_patient_with_two_phones_second_becomes_primary(
    page: Page, live_server, screenshot_dir: Path
) -> None:
    tenant = Tenant.objects.create(name="Clínica Aurora", slug="aurora")
    user = make_user("recepcao@aurora.test")
    Membership.objects.create(tenant=tenant, user=user, role=Role.SECRETARY)
    for name in ("Bruno Araújo", "Carla Mendes", "Diego Ferreira"):
        p = services.patient_create(tenant=tenant, actor=None, full_name=name)
        services.contact_phone_add(entity=p, actor=None, number="11987654321", whatsapp_linked=True)
        services.contact_email_add(entity=p, actor=None, email=f"{p.pk}@exemplo.com.br")
    for name, specialty in (
        ("Dra. Helena Costa", "Psicologia"),
        ("Dr. Igor Lima", "Fonoaudiologia"),
    ):
        services.professional_create(tenant=tenant, actor=None, full_name=name, specialty=specialty)

    base = live_server.url
    login(page, base, user.email)

    # Create the patient with the first phone.
    page.goto(f"{base}/pacientes/novo/")
    page.get_by_label("Nome completo").fill("Joana Prado")
    page.get_by_label("CPF").fill("529.982.247-25")
    page.get_by_label("Telefone").fill("(11) 98888-7777")
    page.get_by_role("button", name="Cadastrar paciente").click()
    page.wait_for_url(re.compile(r".*/pacientes/\d+/$"))
    patient = Patient.objects.get(tenant=tenant, full_name="Joana Prado")

    # The record's "Contatos" tab holds the editors (htmx swaps the panel, the URL follows).
    page.locator("#patient-tabs a[data-tab='contatos']").click()
    page.wait_for_url(re.compile(r".*/pacientes/\d+/\?aba=contatos$"))
    editor = page.locator("#phones-editor")
    expect(editor.locator(".contact-row")).to_have_count(1)
    page.evaluate("window.__noReload = 1")

    # Second phone through the htmx editor (12-digit WhatsApp form: the 9th digit is restored).
    editor.get_by_role("textbox", name="Telefone").fill("552177776666")
    editor.get_by_role("button", name="Adicionar telefone").click()
    rows = page.locator("#phones-editor .contact-row")
    expect(rows).to_have_count(2)
    second = rows.filter(has_text="+55 (21) 97777-6666")
    expect(second).to_have_count(1)
    expect(second.locator(".pill-primary")).to_have_count(0)

    # An invalid number is refused in place, nothing saved.
    page.locator("#phones-editor").get_by_role("textbox", name="Telefone").fill("(11) 1234")
    page.locator("#phones-editor").get_by_role("button", name="Adicionar telefone").click()
    expect(page.locator("#phones-editor .field-error")).to_contain_text("Telefone inválido")
    assert ContactPhone.objects.filter(entity_id=patient.pk).count() == 2

    # Make the second phone primary.
    second.get_by_role("button", name="Tornar principal").click()
    first_row = page.locator("#phones-editor .contact-row").first
    expect(first_row).to_contain_text("+55 (21) 97777-6666")
    expect(first_row.locator(".pill-primary")).to_have_text("Principal")
    expect(page.locator("#phones-editor .pill-primary")).to_have_count(1)

    assert page.evaluate("window.__noReload") == 1, "the page was reloaded"
    primary = ContactPhone.objects.get(entity_id=patient.pk, is_primary=True)
    assert primary.number_e164 == "+5521977776666"

    # Screenshots for a visual check (test-artifacts/ is gitignored).
    page.goto(f"{base}/pacientes/{patient.pk}/editar/")
    page.screenshot(path=str(screenshot_dir / "patient_form_contacts.png"), full_page=True)
    page.goto(f"{base}/pacientes/")
    expect(page.locator("#list-results")).to_contain_text("Joana Prado")
    page.screenshot(path=str(screenshot_dir / "patient_list.png"), full_page=True)
    page.locator("#list-q").fill("joana")
    expect(page.locator("#list-results tbody tr")).to_have_count(1)
    assert page.evaluate("window.__noReload") is None  # a real navigation happened above
    page.goto(f"{base}/profissionais/")
    page.screenshot(path=str(screenshot_dir / "professional_list.png"), full_page=True)
