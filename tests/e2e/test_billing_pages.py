# ruff: noqa: F811 - pytest fixtures imported from devtools.fake_evolution.testing
"""Billing pages in a real browser: the clinic's statement with its reasons and its XLSX, the
SaaS "Novo pacote" page opened on its own, and the styled confirmation dialog that replaces the
browser's confirm() ("Desconectar", "Excluir")."""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import BrowserContext, Page, expect

from clinicrm.core.models import Membership, Role, Tenant, User
from clinicrm.credits.models import CreditPackage, CreditPurchase
from clinicrm.credits.purchases import purchase_payment_received
from clinicrm.credits.statement import StatementFilters, statement_totals
from clinicrm.devtools.fake_evolution.server import FakeEvolutionServer
from clinicrm.devtools.fake_evolution.testing import (  # noqa: F401
    INSTANCE,
    INSTANCE_TOKEN,
    fake_evolution,
)
from clinicrm.integrations.evolution.tests.helpers import make_channel as evolution_channel
from clinicrm.messaging.models import Provider
from clinicrm.messaging.providers import SendResult, StatusUpdate
from clinicrm.messaging.services import (
    message_ingest,
    message_send,
    message_send_perform,
    message_status_apply,
)
from clinicrm.messaging.tests.factories import AdapterScope, inbound_text, make_channel, thread_url
from conftest import make_user
from tests.e2e.helpers import login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

PHONE = "+5511988887777"


def _owner(slug: str = "aurora") -> tuple[Tenant, User]:
    tenant = Tenant.objects.create(name="Clínica Aurora", slug=slug)
    user = make_user(f"dona@{slug}.test")
    Membership.objects.create(tenant=tenant, user=user, role=Role.OWNER)
    return tenant, user


def _history(tenant: Tenant, user: User) -> None:
    """A PIX purchase, a message sent (usage) and one refused by the 24-hour window (refund)."""
    purchase = CreditPurchase.objects.create(
        tenant=tenant, package_name="Clínica", credits=500, amount_brl=Decimal("119.90")
    )
    purchase_payment_received(purchase=purchase)
    channel = make_channel(tenant, Provider.TWILIO)
    message_ingest(
        channel=channel, inbound=inbound_text(jid=f"whatsapp:{PHONE}", contact_name="Maria Souza")
    )
    with AdapterScope() as adapters:
        sent = message_send(tenant=tenant, actor=user, thread_key=PHONE, text="Oi, Maria!")
        adapters.script(channel, SendResult.ok("SM1"), SendResult.ok("SM2"))
        message_send_perform(message_id=sent.pk)
        refused = message_send(tenant=tenant, actor=user, thread_key=PHONE, text="Lembrete")
        message_send_perform(message_id=refused.pk)
        message_status_apply(channel=channel, update=StatusUpdate("SM2", "failed", "63016"))


def test_statement_shows_reasons_and_its_xlsx_holds_the_same_rows_and_totals(
    page: Page, live_server, screenshot_dir: Path
) -> None:
    tenant, user = _owner()
    _history(tenant, user)
    login(page, live_server.url, user.email)
    page.get_by_role("link", name="Extrato", exact=True).click()
    page.wait_for_url(re.compile(r".*/configuracoes/extrato$"))

    rows = page.get_by_test_id("statement-row")
    expect(rows).to_have_count(4)
    expect(rows.filter(has_text="Compra PIX do pacote Clínica")).to_contain_text("R$ 119,90")
    usage = rows.filter(has_text="Mensagem enviada pelo WhatsApp Oficial").first
    expect(usage).to_contain_text("-1")
    expect(usage.get_by_role("link", name="Conversa com Maria Souza")).to_have_attribute(
        "href", thread_url(tenant, PHONE)
    )
    refund = rows.filter(has_text="Reembolso")
    expect(refund).to_contain_text("Mensagem não entregue: reembolsada")
    expect(refund).to_contain_text("janela de 24 horas")
    page.screenshot(path=str(screenshot_dir / "statement.png"), full_page=True)
    shown = [[cell.strip() for cell in row.locator("td").all_inner_texts()] for row in rows.all()]

    with page.expect_download() as info:
        page.get_by_role("link", name="Exportar XLSX").click()
    download = info.value
    assert download.suggested_filename == "extrato.xlsx"
    content = Path(download.path()).read_bytes()
    values = list(load_workbook(io.BytesIO(content)).active.values)
    body = values[1 : 1 + len(shown)]
    # Same rows, same order: movement, signed amount and reason as the page shows them.
    assert [(v[2], f"{v[3]:+d}", v[6]) for v in body] == [
        (row[2], row[3], row[6].split("\n")[0]) for row in shown
    ]
    totals = statement_totals(tenant=tenant, filters=StatementFilters())
    total_rows = values[len(shown) + 3 :]
    assert [(t[1], t[2], t[3], t[4]) for t in total_rows] == [
        (t.product, t.credited, t.debited, t.net) for t in totals
    ]
    page_totals = page.get_by_test_id("statement-totals").locator("tbody tr").all_inner_texts()
    assert "Créditos WhatsApp" in page_totals[0] and "R$ 119,90" in page_totals[0]
    assert float(total_rows[0][5]) == 119.90


def test_new_package_page_opened_on_its_own_saves(
    context: BrowserContext, live_server, screenshot_dir: Path
) -> None:
    staff = make_user("staff@clinicrm.test", staff=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, live_server.url, staff.email)
    page.goto(f"{live_server.url}/saas/addons/pacotes-whatsapp/novo")
    expect(page.get_by_role("heading", name="Novo pacote")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "saas-package-new-page.png"), full_page=True)
    page.get_by_role("textbox", name="Nome").fill("Clínica grande")
    page.get_by_role("spinbutton", name="Créditos").fill("2000")
    page.get_by_role("textbox", name="Preço (R$)").fill("349,90")
    page.get_by_role("button", name="Salvar").click()
    page.wait_for_url(re.compile(r".*/saas/addons/pacotes-whatsapp$"))
    expect(page.get_by_text("Pacote criado.")).to_be_visible()
    row = page.locator("tr", has_text="Clínica grande")
    expect(row).to_contain_text("R$ 349,90")
    expect(row).to_contain_text("R$ 0,17 por crédito")
    assert CreditPackage.objects.get().price_brl == Decimal("349.90")

    # Deleting asks in the styled dialog, not the browser's confirm().
    page.on("dialog", lambda d: errors.append(f"native dialog: {d.message}"))
    row.get_by_role("button", name="Excluir").click()
    confirm = page.locator("dialog.confirm-dialog")
    expect(confirm).to_be_visible()
    expect(confirm.get_by_role("heading")).to_have_text("Excluir o pacote Clínica grande?")
    confirm.get_by_role("button", name="Cancelar").click()
    expect(confirm).to_be_hidden()
    assert CreditPackage.objects.count() == 1
    row.get_by_role("button", name="Excluir").click()
    confirm.get_by_role("button", name="Excluir").click()
    expect(page.get_by_text("Pacote excluído.")).to_be_visible()
    assert CreditPackage.objects.count() == 0
    assert errors == []


def test_disconnect_asks_in_the_same_styled_dialog_as_deactivate(
    context: BrowserContext,
    live_server,
    fake_evolution: FakeEvolutionServer,
    screenshot_dir: Path,
) -> None:
    tenant, user = _owner()
    fake_evolution.create_open_instance(INSTANCE, token=INSTANCE_TOKEN)
    evolution_channel(tenant, server_url=fake_evolution.url)
    page = context.new_page()
    native: list[str] = []
    page.on("dialog", lambda d: native.append(d.message))
    login(page, live_server.url, user.email)
    page.goto(f"{live_server.url}/configuracoes/whatsapp/evolution/")
    panel = page.get_by_test_id("evolution-panel")
    panel.get_by_role("button", name="Desconectar").click()
    confirm = page.locator("dialog.confirm-dialog")
    expect(confirm.get_by_role("heading")).to_have_text("Desconectar o WhatsApp?")
    expect(confirm).to_contain_text("Será preciso ler um novo QR code")
    page.screenshot(path=str(screenshot_dir / "evolution-disconnect-dialog.png"))
    confirm.get_by_role("button", name="Cancelar").click()
    expect(confirm).to_be_hidden()
    assert fake_evolution.state.instances[INSTANCE].state == "open"

    panel.get_by_role("button", name="Desconectar").click()
    confirm.get_by_role("button", name="Desconectar").click()
    expect(page.get_by_test_id("connection-state")).not_to_have_text("Conectado")
    assert fake_evolution.state.instances[INSTANCE].state != "open"
    assert native == []
