# ruff: noqa: F811 - pytest fixtures imported from devtools.fake_asaas.testing
"""A clinic owner buys WhatsApp credits by PIX in a real browser, over the real ASGI server (the
realtime stream needs it): the QR shows, the owner closes the dialog, pays on the fake Asaas
page in another tab, and the open credits page shows the new balance and the purchase "Pago"
without a reload (webhook -> worker -> realtime event -> htmx refresh)."""

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.credits.models import CreditPackage, CreditPurchase
from clinicrm.devtools.fake_asaas.server import FakeAsaasServer
from clinicrm.devtools.fake_asaas.testing import (  # noqa: F401
    WEBHOOK_TOKEN,
    EventWorker,
    fake_asaas,
)
from conftest import make_user
from tests.e2e.helpers import login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def asaas_to_asgi(fake_asaas: FakeAsaasServer, asgi_url: str) -> Iterator[EventWorker]:
    """The fake's webhooks reach the ASGI app; a worker thread processes them."""
    fake_asaas.state.webhook_create(
        {
            "name": "Clinicrm",
            "url": f"{asgi_url}/webhooks/asaas/",
            "email": "dev@clinicrm.test",
            "sendType": "SEQUENTIALLY",
            "authToken": WEBHOOK_TOKEN,
            "events": [],
        }
    )
    worker = EventWorker().start()
    try:
        yield worker
    finally:
        worker.stop()
        assert worker.errors == []


def test_owner_buys_credits_closes_the_dialog_pays_and_the_page_follows(
    context: BrowserContext,
    asgi_url: str,
    fake_asaas: FakeAsaasServer,
    asaas_to_asgi: EventWorker,
    screenshot_dir: Path,
) -> None:
    tenant = Tenant.objects.create(name="Clínica Aurora", slug="aurora")
    user = make_user("dona@aurora.test")
    Membership.objects.create(tenant=tenant, user=user, role=Role.OWNER)
    CreditPackage.objects.create(
        name="Inicial", credits=100, price_brl=Decimal("29.90"), position=1
    )
    CreditPackage.objects.create(
        name="Clínica",
        credits=500,
        price_brl=Decimal("119.90"),
        is_featured=True,
        position=2,
        description="O mais escolhido por clínicas pequenas.",
    )

    page = context.new_page()
    login(page, asgi_url, user.email)
    page.get_by_role("link", name="Créditos WhatsApp").click()
    page.wait_for_url(re.compile(r".*/configuracoes/creditos-whatsapp$"))
    expect(page.locator("[data-notifier-live]")).to_be_attached()
    expect(page.get_by_test_id("balance")).to_have_text("0")
    page.evaluate("window.__noReload = 1")

    featured = page.locator(".package-card.is-featured")
    expect(featured).to_contain_text("R$ 119,90")
    expect(featured).to_contain_text("R$ 0,24 por mensagem")
    featured.get_by_role("link", name="Comprar").click()
    dialog = page.locator("#purchase-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Pacote Clínica: 500 créditos por R$ 119,90, pagos por PIX.")
    field = dialog.get_by_label("CPF ou CNPJ da clínica")
    field.fill("24971563792")
    field.blur()
    expect(field).to_have_value("249.715.637-92")

    # A wrong check digit is refused in place.
    field.fill("249.715.637-93")
    dialog.get_by_role("button", name="Gerar PIX").click()
    expect(dialog.get_by_text("CPF inválido")).to_be_visible()
    assert CreditPurchase.objects.count() == 0

    dialog.get_by_label("CPF ou CNPJ da clínica").fill("249.715.637-92")
    dialog.get_by_role("button", name="Gerar PIX").click()
    expect(dialog.get_by_alt_text("QR Code PIX")).to_be_visible()
    expect(dialog.locator("#pix-copy-paste")).to_have_value(re.compile(r"^000201"))
    expect(dialog.get_by_text("Aguardando o pagamento")).to_be_visible()
    expect(dialog).to_contain_text("Pode fechar esta janela")
    page.screenshot(path=str(screenshot_dir / "credits-dialog-pix.png"))

    # The owner closes the dialog: the history shows the purchase waiting.
    dialog.get_by_role("link", name="Fechar").first.click()
    expect(dialog).to_be_hidden()
    purchases = page.locator("#credits-purchases")
    expect(purchases.get_by_test_id("purchase-status")).to_have_text("Aguardando pagamento")

    # Pays on the fake Asaas's page, in another tab.
    purchase = CreditPurchase.objects.get(tenant=tenant)
    asaas = context.new_page()
    asaas.goto(f"{fake_asaas.url}/")
    row = asaas.locator("tr", has_text=str(purchase.asaas_payment_id))
    row.get_by_role("button", name="Simular pagamento PIX").click()
    expect(asaas.locator("tr", has_text=str(purchase.asaas_payment_id))).to_contain_text("RECEIVED")
    asaas.close()

    # The credits page follows by itself.
    expect(page.get_by_test_id("balance")).to_have_text("500", timeout=20_000)
    expect(purchases.get_by_test_id("purchase-status")).to_have_text("Pago")
    expect(page.locator("#credits-movements")).to_contain_text("Compra PIX do pacote Clínica")
    expect(page.locator("#credits-movements")).to_contain_text("+500")
    assert page.evaluate("window.__noReload") == 1
    page.screenshot(path=str(screenshot_dir / "credits-page-after.png"), full_page=True)


def test_open_dialog_turns_paid_by_itself(
    context: BrowserContext,
    asgi_url: str,
    fake_asaas: FakeAsaasServer,
    asaas_to_asgi: EventWorker,
) -> None:
    tenant = Tenant.objects.create(name="Clínica Aurora", slug="aurora", cpf_cnpj="24971563792")
    user = make_user("dona@aurora.test")
    Membership.objects.create(tenant=tenant, user=user, role=Role.OWNER)
    CreditPackage.objects.create(name="Inicial", credits=100, price_brl=Decimal("29.90"))

    page = context.new_page()
    login(page, asgi_url, user.email)
    page.goto(f"{asgi_url}/configuracoes/creditos-whatsapp")
    expect(page.locator("[data-notifier-live]")).to_be_attached()
    page.get_by_role("link", name="Comprar").click()
    dialog = page.locator("#purchase-dialog")
    expect(dialog.get_by_label("CPF ou CNPJ da clínica")).to_have_value("249.715.637-92")
    dialog.get_by_role("button", name="Gerar PIX").click()
    expect(dialog.get_by_alt_text("QR Code PIX")).to_be_visible()
    expect(dialog.get_by_role("heading", name="Pague com PIX")).to_be_focused()

    purchase = CreditPurchase.objects.get(tenant=tenant)
    fake_asaas.state.payment_pay(str(purchase.asaas_payment_id))
    expect(dialog.get_by_text("Pagamento recebido! Créditos adicionados.")).to_be_visible(
        timeout=20_000
    )
    # Announced once through the page's live region (the status block is not one itself).
    expect(page.locator("#live-polite")).to_have_text("Pagamento recebido! Créditos adicionados.")
    expect(dialog.get_by_test_id("dialog-balance")).to_have_text("100")
    expect(page.get_by_test_id("balance")).to_have_text("100")
