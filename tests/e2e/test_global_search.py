"""The top bar's global search in a real browser: "/" focuses it, "joao" finds "João ..." grouped,
↓ and Enter open the patient's page; Esc closes; the same on a phone through the search icon."""

import re

import pytest
from playwright.sync_api import Page, expect

from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.search.tests.factories import build_clinic
from conftest import make_user
from tests.e2e.helpers import login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def secretary_clinic():
    tenant = Tenant.objects.create(name="Clínica Aurora", slug="aurora")
    user = make_user("recepcao@aurora.test")
    Membership.objects.create(tenant=tenant, user=user, role=Role.SECRETARY)
    other = Tenant.objects.create(name="Clínica Vizinha", slug="vizinha")
    build_clinic(other, suffix=" Vizinho")
    return user, build_clinic(tenant)


def test_type_joao_see_groups_and_open_the_patient_with_the_keyboard(
    page: Page, live_server, secretary_clinic
) -> None:
    user, clinic = secretary_clinic
    base = live_server.url
    login(page, base, user.email)
    search = page.locator("#gsearch-input")
    page.locator("[data-global-search][data-ready]").wait_for(state="attached")

    page.keyboard.press("/")
    expect(search).to_be_focused()
    search.press_sequentially("joao")
    panel = page.locator("#gsearch-panel")
    patients = panel.get_by_role("group", name="Pacientes")
    expect(patients.get_by_role("option").first).to_contain_text("João Araújo Dias")
    expect(panel.get_by_role("group", name="Conversas")).to_be_visible()
    expect(panel.get_by_role("group", name="Mensagens")).to_be_visible()
    expect(panel.locator("mark").first).to_have_text(re.compile("jo[aã]o", re.I))
    expect(panel).not_to_contain_text("Vizinho")  # another clinic's João never shows

    search.press("ArrowDown")
    first = patients.get_by_role("option").first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(search).to_have_attribute("aria-activedescendant", first.get_attribute("id") or "")
    search.press("ArrowDown")
    search.press("ArrowUp")
    expect(first).to_have_attribute("aria-selected", "true")
    search.press("Enter")
    page.wait_for_url(f"{base}/pacientes/{clinic.joao.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("João Araújo Dias")
    page.locator("[data-global-search][data-ready]").wait_for(state="attached")

    # Ctrl+K from any page; Esc closes the panel; too short a query says so.
    page.keyboard.press("Control+k")
    expect(search).to_be_focused()
    search.fill("j")
    expect(page.locator(".gsearch-status")).to_contain_text("pelo menos 2")
    search.fill("sessao")
    expect(panel.get_by_role("option").first).to_contain_text("Bia")
    search.press("Escape")
    expect(panel).to_be_hidden()
    search.fill("zzzz")
    expect(panel).to_contain_text("Nada encontrado")


def test_phone_width_opens_search_from_the_icon(page: Page, live_server, secretary_clinic) -> None:
    user, clinic = secretary_clinic
    page.set_viewport_size({"width": 390, "height": 844})
    base = live_server.url
    login(page, base, user.email)
    search = page.locator("#gsearch-input")
    page.locator("[data-global-search][data-ready]").wait_for(state="attached")
    expect(search).to_be_hidden()
    page.get_by_role("button", name="Buscar").click()
    expect(search).to_be_focused()
    search.press_sequentially("ARAUJO")
    option = page.locator("#gsearch-panel").get_by_role("option").first
    expect(option).to_contain_text("João Araújo Dias")
    box = option.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    search.press("ArrowDown")
    search.press("Enter")
    page.wait_for_url(f"{base}/pacientes/{clinic.joao.pk}/")
