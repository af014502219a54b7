"""A clean browser console on the main pages of the demo: no console error (CSP violations
included), no uncaught exception, no failed request and no 4xx/5xx answer, while a clinic owner
and the SaaS staff walk the pages and use their htmx parts.

The demo data comes from `seed_demo`, served by the real ASGI app (so the realtime stream is
live, as in the demo).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request, Response, expect

from clinicrm.devtools.seed import DEMO_PASSWORD, STAFF_EMAIL, seed_demo
from clinicrm.messaging.models import Thread

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]


@dataclass
class ConsoleWatch:
    """Everything a page reports that a user should never cause."""

    problems: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"exception: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)
        return page

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":  # CSP violations and htmx's own errors included
            self.problems.append(f"console error: {message.text} ({message.location})")

    def _failed(self, request: Request) -> None:
        # Leaving a page closes its realtime stream (notifier.js closes it on pagehide): the
        # browser reports that request as aborted, which is the stream ending as designed.
        if request.url.endswith("/eventos/") and "ERR_ABORTED" in (request.failure or ""):
            return
        self.problems.append(f"request failed: {request.method} {request.url} {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append(
                f"HTTP {response.status}: {response.request.method} {response.url}"
            )


@pytest.fixture
def watch() -> Iterator[ConsoleWatch]:
    yield ConsoleWatch()


def _login(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/entrar/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Senha").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_load_state("networkidle")


def _visit(page: Page, url: str, heading: str | re.Pattern[str]) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    # Headless Chromium asks for no icon, so the page must name one (no /favicon.ico 404).
    expect(page.locator("link[rel=icon]")).to_have_attribute("href", re.compile(r"\.svg$"))
    page.wait_for_load_state("networkidle")


def _system_contact_types() -> None:
    migration = import_module("clinicrm.people.migrations.0002_seed_contact_types")
    migration.seed(django_apps, None)


def test_main_pages_keep_the_console_clean(
    context: BrowserContext, asgi_url: str, watch: ConsoleWatch
) -> None:
    _system_contact_types()  # migration data, emptied by earlier transactional tests
    seed_demo()
    thread = Thread.objects.filter(tenant__slug="bem-estar").order_by("-last_message_at").first()
    assert thread is not None
    page = watch.attach(context.new_page())

    _login(page, asgi_url, "dona@bemestar.demo")
    expect(page).to_have_url(f"{asgi_url}/")
    expect(page.locator("[data-notifier-ready]")).to_be_attached()
    _visit(page, f"{asgi_url}/pacientes/", "Pacientes")
    _visit(page, f"{asgi_url}/agenda/", re.compile("Agenda"))
    _visit(page, f"{asgi_url}/agenda/consultas/nova/", "Nova consulta")
    # The patient picker asks the server as one types (its hx-include always has a target).
    page.get_by_placeholder("Buscar paciente pelo nome…").press_sequentially("an", delay=50)
    expect(page.locator("#patient-options input[name=patient]").first).to_be_visible()
    page.locator("#patient-options input[name=patient]").first.check()
    page.get_by_placeholder("Buscar paciente pelo nome…").press_sequentially("a", delay=50)
    expect(page.locator("#patient-options input[name=patient]:checked")).to_have_count(1)
    page.wait_for_load_state("networkidle")
    _visit(page, f"{asgi_url}/conversas/", "Conversas")
    page.goto(f"{asgi_url}/conversas/{thread.pk}/")
    page.wait_for_load_state("networkidle")
    _visit(page, f"{asgi_url}/configuracoes/creditos-whatsapp", "Créditos WhatsApp")
    page.locator(".package-card").first.get_by_role("link", name="Comprar").click()
    expect(page.locator("#purchase-dialog")).to_contain_text("Confirmar compra")
    page.locator("#purchase-dialog").get_by_role("link", name="Cancelar").click()
    expect(page.locator("#purchase-dialog")).to_be_hidden()
    _visit(page, f"{asgi_url}/configuracoes/extrato", "Extrato")
    page.get_by_label("Movimento").select_option("recarga")
    page.get_by_role("button", name="Filtrar").click()
    expect(page.get_by_test_id("statement-row").first).to_contain_text("Recarga")

    staff = watch.attach(context.browser.new_context().new_page())  # type: ignore[union-attr]
    _login(staff, asgi_url, STAFF_EMAIL)
    expect(staff).to_have_url(f"{asgi_url}/saas/")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Console SaaS")
    for path in (
        "/saas/addons",
        "/saas/addons/creditos",
        "/saas/addons/transacoes",
        "/saas/addons/pacotes-whatsapp",
        "/saas/addons/topup-whatsapp",
    ):
        _visit(staff, f"{asgi_url}{path}", "Add-ons e créditos")
    staff.locator("select[name=tenant]").select_option(label="Clínica Bem-Estar")
    expect(staff.locator("#tenant-balance")).to_contain_text("Saldo atual de Clínica Bem-Estar")
    staff.goto(f"{asgi_url}/saas/addons/pacotes-whatsapp")
    staff.get_by_role("link", name="+ Novo pacote").click()
    expect(staff.locator("#package-dialog")).to_contain_text("Novo pacote")
    staff.wait_for_load_state("networkidle")

    icon = staff.request.get(f"{asgi_url}/favicon.ico")
    assert icon.ok and icon.headers["content-type"].startswith("image/svg+xml")
    assert watch.problems == []
