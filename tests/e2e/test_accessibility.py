# ruff: noqa: F811 - the fake_evolution fixture imported from devtools.fake_evolution.testing
"""Accessibility in a real browser: axe-core (shipped by axe-playwright-python) over every page
and dialog, each as the role that uses it, must find no serious or critical violation of WCAG
2.x A/AA; and the keyboard alone reaches and operates what matters (skip link, menus closed by
Esc, the status select that never saves on an arrow key, focus after a contact save, the main
action of each page operated by Tab/Shift+Tab/Enter/Space/Esc with a visible focus ring).

The demo seed gives every page realistic content (two clinics, agenda, credits, conversations).
One browser context and one page are reused; logging in again switches role.
"""

import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from clinicrm.agenda.models import Appointment, AppointmentStatus
from clinicrm.compliance.intake.models import IntakeInvite
from clinicrm.compliance.models import PatientErasure, PatientExport
from clinicrm.core.models import Membership, Tenant, User
from clinicrm.core.notifications import notification_preferences_get
from clinicrm.core.timeutils import local_today
from clinicrm.devtools.fake_evolution.server import FakeEvolutionServer
from clinicrm.devtools.fake_evolution.testing import fake_evolution  # noqa: F401 - a fixture
from clinicrm.devtools.seed import DEMO_PASSWORD, STAFF_EMAIL, seed_demo
from clinicrm.messaging.models import Thread
from clinicrm.people.models import ContactPhone, Patient, Professional
from clinicrm.people.services.contacts import system_contact_types_ensure
from tests.e2e.a11y_pages import (
    OWNER,
    PROFESSIONAL,
    SECRETARY,
    STAFF_PAGES,
    account_link_pages,
    demo_evolution_unpaired,
    demo_rows,
    owner_pages,
    professional_pages,
    secretary_pages,
)
from tests.e2e.helpers import focus_ring_problem, tab_to

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
    # WCAG 2.2's target size (2.5.8, 24 x 24 px or spaced) is off by default in axe-core.
    "rules": {"target-size": {"enabled": True}},
}
_axe = Axe()


@pytest.fixture
def demo() -> None:
    """The demo clinics (a flush by an earlier transactional test empties the system types)."""
    system_contact_types_ensure()
    seed_demo()


def _login(page: Page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/entrar/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Senha").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(re.compile(r".*/(painel/|saas/)?$"))


def _serious(page: Page, where: str) -> list[str]:
    """The serious and critical violations axe finds on the page as it is now."""
    found: dict[str, Any] = _axe.run(page, options=AXE_OPTIONS).response
    return [
        f"{where}: {v['id']} ({v['impact']}) {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:4])
        + f" -- {v['nodes'][0].get('failureSummary', '')}"
        for v in found["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _visit(page: Page, base: str, path: str, status: int = 200) -> list[str]:
    response = page.goto(f"{base}{path}")
    page.wait_for_load_state("domcontentloaded")
    answered = response.status if response is not None else 0
    if answered != status:  # a refusal or an error page is not the page the list means
        return [f"{path}: HTTP {answered}, expected {status}"]
    return _serious(page, path)


def _sweep(page: Page, base: str, paths: list[str], who: str) -> list[str]:
    """One logged-in session visits every page of a role's list."""
    return [f"[{who}] {p}" for path in paths for p in _visit(page, base, path)]


def test_axe_finds_no_serious_violation_on_any_page_or_dialog(
    page: Page,
    live_server,
    demo: None,
    fake_evolution: FakeEvolutionServer,
    screenshot_dir: Path,
) -> None:
    base = live_server.url
    problems: list[str] = []

    # Anonymous pages, with and without errors.
    for path in ("/entrar/", "/senha/esqueci/"):
        problems += _visit(page, base, path)
    page.goto(f"{base}/entrar/")
    page.get_by_role("button", name="Entrar").click()
    expect(page.locator("[aria-invalid='true']").first).to_be_focused()
    problems += _serious(page, "/entrar/ (errors)")

    demo_ids = demo_rows()
    _login(page, base, OWNER)
    problems += _sweep(page, base, owner_pages(demo_ids), "owner")
    problems += [f"[owner] {p}" for p in _visit(page, base, "/nao-existe/", status=404)]

    # Dialogs and states reached by interaction.
    page.goto(f"{base}/configuracoes/creditos-whatsapp")
    page.get_by_role("link", name=re.compile(r"^Comprar ")).first.click()
    dialog = page.locator("#purchase-dialog")
    expect(dialog.get_by_label("CPF ou CNPJ da clínica")).to_be_focused()
    dialog.get_by_label("CPF ou CNPJ da clínica").fill("123")
    dialog.get_by_role("button", name="Gerar PIX").click()
    expect(dialog.locator("[aria-invalid='true']")).to_be_focused()
    problems += _serious(page, "PIX dialog (errors)")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.goto(f"{base}/membros/")
    page.get_by_role("button", name=re.compile(r"^Remover ")).first.click()
    expect(page.locator("dialog.confirm-dialog")).to_be_visible()
    problems += _serious(page, "confirm dialog")
    page.keyboard.press("Escape")

    page.goto(f"{base}/pacientes/novo/")
    page.get_by_role("button", name="Cadastrar paciente").click()
    problems += _serious(page, "/pacientes/novo/ (errors)")

    # The LGPD tab: its erase dialog, then an export's status page.
    page.goto(f"{base}/pacientes/{demo_ids.patient}/?aba=lgpd")
    page.get_by_test_id("lgpd-erase-open").click()
    expect(page.locator("#erase-dialog")).to_be_visible()
    problems += _serious(page, "LGPD erase dialog")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Exportar dados").click()
    page.wait_for_url(re.compile(r".*/lgpd/exportacoes/[0-9a-f-]+/$"))
    problems += _serious(page, "LGPD export status")

    # Evolution's set-up page once its panel has loaded, with the QR code to pair.
    demo_evolution_unpaired(fake_evolution)
    page.goto(f"{base}/configuracoes/whatsapp/evolution/?parear=1")
    expect(page.get_by_test_id("qr-image")).to_be_visible()
    page.locator(".pair-by-code summary").click()
    problems += _serious(page, "Evolution set-up (QR code)")

    page.goto(f"{base}/perfil/")
    page.get_by_role("button", name="Criar token").click()
    problems += _serious(page, "/perfil/ (errors)")

    # The conversation drawer over the inbox.
    page.goto(f"{base}/conversas/")
    page.locator("a[data-drawer]").first.click()
    expect(page.locator("#drawer")).to_be_visible()
    expect(page.locator("#drawer [data-conversation]")).to_be_visible()
    problems += _serious(page, "conversation drawer")

    page.goto(f"{base}/")
    page.locator("#notif-bell summary").click()
    expect(page.locator("#notif-panel-body")).not_to_contain_text("Carregando")
    problems += _serious(page, "bell panel")

    # The narrow screen (and 200% zoom) with its menu open.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/agenda/")
    page.get_by_role("button", name="Menu").click()
    expect(page.locator("#sidebar")).to_be_visible()
    problems += _serious(page, "menu open at 390 px")
    page.set_viewport_size({"width": 1280, "height": 860})

    _login(page, base, PROFESSIONAL)
    problems += _sweep(page, base, professional_pages(demo_ids), "professional")
    page.locator("#notif-bell summary").click()  # a professional's bell has unread ones
    expect(page.locator("#notif-panel-body")).not_to_contain_text("Carregando")
    problems += _serious(page, "[professional] bell panel")

    _login(page, base, SECRETARY)
    problems += _sweep(page, base, secretary_pages(demo_ids), "secretary")
    problems += [f"[secretary] {p}" for p in _visit(page, base, "/membros/", status=403)]

    _login(page, base, STAFF_EMAIL)
    problems += _sweep(page, base, STAFF_PAGES, "staff")

    # Anonymous again: the e-mailed links (an invitation refusing a weak password too) and the
    # patient's public intake form on a phone, empty, with errors, and a used link.
    page.context.clear_cookies()
    links = account_link_pages()
    problems += _sweep(page, base, links, "anonymous")
    page.goto(f"{base}{links[0]}")  # the invitation
    page.get_by_label(re.compile(r"^Nova senha")).fill("12345678")
    page.get_by_label("Repita a nova senha").fill("12345678")
    page.get_by_role("button", name="Salvar senha").click()
    expect(page.locator("[aria-invalid='true']").first).to_be_visible()
    problems += _serious(page, "invite accept (errors)")
    page.set_viewport_size({"width": 390, "height": 844})
    problems += _visit(page, base, f"/cadastro/{demo_ids.intake_token}/")
    page.get_by_role("button", name="Enviar cadastro").click()
    expect(page.locator("[aria-invalid='true']").first).to_be_visible()
    problems += _serious(page, "/cadastro/ (errors)")
    problems += _visit(page, base, f"/cadastro/{demo_ids.used_token}/", status=410)

    assert problems == [], "\n".join(problems)


def test_keyboard_alone(page: Page, live_server, demo: None, screenshot_dir: Path) -> None:
    base = live_server.url
    _login(page, base, OWNER)

    # Skip link first: one Tab, Enter, and the focus is in the content.
    page.goto(f"{base}/pacientes/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Pular para o conteúdo")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('#main') !== null")
    assert focused, "Tab after the skip link leaves the content"

    # The user menu opens with Enter and closes with Esc, focus back on it.
    summary = page.locator(".user-menu summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".user-menu")).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(page.locator(".user-menu")).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()

    # The appointment status never changes on an arrow key: Enter (or the button) saves it.
    tenant = Tenant.objects.get(slug="bem-estar")
    todays = Appointment.objects.filter(tenant=tenant, starts_at__date=local_today())
    appt = todays.filter(status=AppointmentStatus.SCHEDULED).order_by("starts_at").first()
    if appt is None:  # late in the day the seed leaves none of today's still scheduled
        appt = todays.order_by("-starts_at").first()
        assert appt is not None, "the demo seeds appointments for today"
        todays.filter(pk=appt.pk).update(status=AppointmentStatus.SCHEDULED)
        appt.refresh_from_db()
    page.goto(f"{base}/agenda/")
    select = page.locator(f"#appt-status-{appt.pk}")
    select.focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.SCHEDULED, "an arrow key saved the status"
    confirm = page.locator(f"#appt-{appt.pk} [data-autosubmit-confirm]")
    expect(confirm).to_be_visible()
    chosen = select.input_value()
    page.keyboard.press("Tab")
    expect(confirm).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"#appt-status-{appt.pk}")).to_be_focused()
    appt.refresh_from_db()
    assert appt.status == chosen
    # The date field: typing does not reload; the button does.
    page.locator("#agenda-date").focus()
    page.keyboard.type("01012030")
    page.wait_for_timeout(300)
    assert "data=2030" not in page.url
    page.get_by_role("button", name="Ir").click()
    page.wait_for_url(re.compile(r".*data=2030-01-01"))

    # Contact editor: edit a phone, save with Enter: focus back on that phone's "Editar".
    phone = ContactPhone.objects.filter(tenant=tenant, entity_type="patient").order_by("pk").first()
    assert phone is not None
    patient = Patient.objects.get(pk=phone.entity_id)
    page.goto(f"{base}/pacientes/{patient.pk}/editar/")
    editor = page.locator("#phones-editor")
    edit = editor.get_by_role("link", name=re.compile(r"^Editar telefone")).first
    name = edit.get_attribute("aria-label")
    edit.focus()
    page.keyboard.press("Enter")
    number = editor.locator(".contact-row input[type=tel]")
    expect(number).to_be_focused()
    page.keyboard.press("Enter")
    expect(editor.get_by_role("link", name=name or "")).to_be_focused()
    # An invalid new number: focus on the field, its error tied to it.
    add = editor.locator(".contact-add input[type=tel]")
    add.fill("123")
    add.press("Enter")
    add = page.locator("#phones-editor .contact-add input[type=tel]")
    expect(add).to_be_focused()
    expect(add).to_have_attribute("aria-invalid", "true")
    described = add.get_attribute("aria-describedby") or ""
    error_id = next(i for i in described.split() if i.endswith("_error"))
    expect(page.locator(f"#{error_id}")).to_contain_text("Telefone inválido")
    # A valid one: saved, focus back in the (now empty) new-phone field.
    add.fill("(11) 97777-1234")
    add.press("Enter")
    expect(page.locator("#phones-editor .contact-row", has_text="97777-1234")).to_have_count(1)
    new_number = page.locator("#phones-editor .contact-add input[type=tel]")
    expect(new_number).to_be_focused()

    # Conversation: write, Tab to "Enviar", Enter: the focus is back in the text box.
    thread = Thread.objects.filter(tenant=tenant).order_by("-pk").first()
    assert thread is not None
    page.goto(f"{base}/conversas/{thread.pk}/")
    text = page.locator("#send-text")
    expect(text).to_be_enabled()
    text.fill("Até amanhã!")
    page.locator("#send-form button[type=submit]").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#timeline")).to_contain_text("Até amanhã!")
    expect(page.locator("#send-text")).to_be_focused()
    expect(page.locator("#send-text")).to_have_value("")

    # Credits: Tab to a package's "Comprar", Enter opens the dialog, Esc closes it.
    page.goto(f"{base}/configuracoes/creditos-whatsapp")
    buy = page.get_by_role("link", name=re.compile(r"^Comprar "))
    expect(buy).to_have_count(buy.count())
    names = {buy.nth(i).get_attribute("aria-label") for i in range(buy.count())}
    assert len(names) == buy.count() > 1, "the Comprar buttons are not told apart"
    buy.first.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#purchase-dialog")
    expect(dialog.get_by_label("CPF ou CNPJ da clínica")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Narrow screen: the closed menu is out of the Tab order; open, Esc closes it.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/")
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    first_link = page.locator("#sidebar a").first
    expect(first_link).to_be_hidden()
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(first_link).to_be_focused()
    page.screenshot(path=str(screenshot_dir / "a11y-menu-390.png"))
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()

    # 200% zoom on a 1280 px window: nothing scrolls sideways.
    page.set_viewport_size({"width": 640, "height": 430})
    professional = Professional.objects.filter(tenant=tenant).order_by("pk").first()
    assert professional is not None
    for path in (
        "/",
        "/agenda/",
        f"/agenda/profissionais/{professional.pk}/semana/",
        "/membros/",
        "/pacientes/",
        "/conversas/",
        "/conversas/kanban/",
        "/configuracoes/creditos-whatsapp",
    ):
        page.goto(f"{base}{path}")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 640, f"{path} scrolls sideways at 640 px ({wide} px)"
        wide_grid = page.evaluate(
            "Math.max(0, ...[...document.querySelectorAll('.week-grid, .kanban')]"
            ".map((g) => g.scrollWidth - g.clientWidth))"
        )
        assert wide_grid == 0, f"{path}: the week grid or the board scrolls sideways at 640 px"
    page.screenshot(path=str(screenshot_dir / "a11y-week-640.png"), full_page=True)


def _skip_to_content(page: Page) -> None:
    """Follow the skip link (Tab, Enter): the next Tab is in the content. The URL keeps its
    "#main" through a form's post and redirect, hence the "(#main)?" below."""
    tab_to(page, page.get_by_role("link", name="Pular para o conteúdo"))
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def test_keyboard_operates_each_main_action(page: Page, live_server, demo: None) -> None:
    """Tab, Shift+Tab, Enter, Space and Esc alone (no click, no fill) operate the main action of
    the LGPD tab, the intake invites, the notification preferences, the privacy settings, an edit
    page and the invitation's password page; every control reached shows its focus ring."""
    base = live_server.url
    tenant = Tenant.objects.get(slug="bem-estar")
    _login(page, base, OWNER)
    owner = Membership.objects.get(tenant=tenant, user__email=OWNER)

    # LGPD tab: the erase dialog opens with Enter and Esc closes it, erasing nothing; then
    # Shift+Tab back to "Exportar dados" and Enter requests an export.
    patient = Patient.objects.filter(tenant=tenant).order_by("pk").first()
    assert patient is not None
    page.goto(f"{base}/pacientes/{patient.pk}/?aba=lgpd")
    _skip_to_content(page)
    erase_open = page.get_by_test_id("lgpd-erase-open")
    tab_to(page, erase_open)
    page.keyboard.press("Enter")
    dialog = page.locator("#erase-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#erase-confirm")).to_be_focused()
    assert focus_ring_problem(page) == ""
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(erase_open).to_be_focused()
    assert not PatientErasure.objects.filter(patient=patient).exists()
    tab_to(page, page.get_by_role("button", name="Exportar dados"), backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/lgpd/exportacoes/[0-9a-f-]+/(#main)?$"))
    assert PatientExport.objects.filter(patient=patient).count() == 1

    # Intake invites: from the list to the form, a name typed, "Criar convite" with Enter.
    page.goto(f"{base}/pacientes/cadastros/")
    _skip_to_content(page)
    tab_to(page, page.get_by_role("link", name="+ Novo convite de cadastro"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/pacientes/cadastros/convidar/(#main)?$"))
    _skip_to_content(page)
    tab_to(page, page.get_by_label("Nome (opcional)"))
    page.keyboard.type("Joana Teclado")
    tab_to(page, page.get_by_role("button", name="Criar convite"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/pacientes/cadastros/convites/[0-9a-f-]+/(#main)?$"))
    assert IntakeInvite.objects.filter(tenant=tenant, name="Joana Teclado").count() == 1

    # Notification preferences: Space switches the first kind off, Enter on the button saves.
    page.goto(f"{base}/notificacoes/preferencias/")
    _skip_to_content(page)
    first_kind = page.locator("input[name=kinds]").first
    kind = first_kind.get_attribute("value")
    expect(first_kind).to_be_checked()
    tab_to(page, first_kind)
    page.keyboard.press("Space")
    expect(first_kind).not_to_be_checked()
    tab_to(page, page.get_by_role("button", name="Salvar preferências"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Preferências de notificação salvas.")).to_be_visible()
    prefs = notification_preferences_get(tenant=tenant, user=owner.user, role=owner.role)
    assert prefs[str(kind)] is False
    assert sum(not on for on in prefs.values()) == 1, "more than the one kind switched off"

    # Privacy settings: Space toggles least privilege, Space on "Salvar" saves.
    was = tenant.professionals_own_patients_only
    page.goto(f"{base}/configuracoes/privacidade")
    _skip_to_content(page)
    tab_to(page, page.get_by_label("Profissionais veem só os próprios pacientes"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Salvar"))
    page.keyboard.press("Space")
    expect(page.get_by_text("Configurações de privacidade salvas.")).to_be_visible()
    tenant.refresh_from_db()
    assert tenant.professionals_own_patients_only is not was

    # An edit page: a professional's name replaced (Tab selects the field's text), Enter on
    # "Salvar".
    professional = Professional.objects.filter(tenant=tenant).order_by("pk").first()
    assert professional is not None
    page.goto(f"{base}/profissionais/{professional.pk}/editar/")
    _skip_to_content(page)
    tab_to(page, page.get_by_label("Nome completo"))
    page.keyboard.type("Helena Teclado")
    tab_to(page, page.locator("#professional-form").get_by_role("button", name="Salvar"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/profissionais/{professional.pk}/(#main)?$"))
    professional.refresh_from_db()
    assert professional.full_name == "Helena Teclado"

    # Anonymous: the e-mailed invitation's page sets the password by keyboard.
    page.context.clear_cookies()
    page.goto(f"{base}{account_link_pages()[0]}")
    tab_to(page, page.get_by_label(re.compile(r"^Nova senha")))
    page.keyboard.type("Teclado-Seguro-2026")
    tab_to(page, page.get_by_label("Repita a nova senha"))
    page.keyboard.type("Teclado-Seguro-2026")
    tab_to(page, page.get_by_role("button", name="Salvar senha"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/convite/concluido/(#main)?$"))
    assert User.objects.get(email=SECRETARY).check_password("Teclado-Seguro-2026")
