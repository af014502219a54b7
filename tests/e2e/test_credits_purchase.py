# ruff: noqa: F811 - pytest fixtures imported from devtools.fake_asaas.testing
"""A clinic owner buys a WhatsApp credit package by PIX: the QR shows, the fake Asaas confirms
the payment, its webhook reaches the CRM and the page's balance updates without a reload."""

import re
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.credits.models import CreditPackage, CreditPurchase
from clinicrm.devtools.fake_asaas.testing import (  # noqa: F401
    API_KEY,
    asaas_webhooks_live,
    fake_asaas,
)
from conftest import PASSWORD, make_user

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]


def test_owner_buys_credits_and_balance_updates(
    page: Page, live_server, fake_asaas, asaas_webhooks_live, screenshot_dir: Path
) -> None:
    tenant = Tenant.objects.create(name="Clínica Aurora", slug="aurora")
    user = make_user("dona@aurora.test")
    Membership.objects.create(tenant=tenant, user=user, role=Role.OWNER)
    CreditPackage.objects.create(
        name="Inicial", credits=100, price_brl=Decimal("19.90"), position=1
    )
    CreditPackage.objects.create(
        name="Clínica",
        credits=500,
        price_brl=Decimal("79.90"),
        is_featured=True,
        position=2,
        description="O mais escolhido por clínicas pequenas.",
    )
    CreditPackage.objects.create(name="Rede", credits=2000, price_brl=Decimal("279.90"), position=3)

    base = live_server.url
    page.goto(f"{base}/entrar/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Senha").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(re.compile(r".*/(painel/)?$"))

    page.get_by_role("link", name="Créditos WhatsApp").click()
    page.wait_for_url(re.compile(r".*/configuracoes/creditos-whatsapp$"))
    expect(page.get_by_test_id("balance")).to_have_text("0")
    page.screenshot(path=str(screenshot_dir / "credits-page.png"), full_page=True)

    page.locator(".package-card.is-featured").get_by_role("button", name="Comprar").click()
    dialog = page.locator("#purchase-dialog")
    expect(dialog).to_be_visible()
    field = dialog.get_by_label("CPF ou CNPJ da clínica")
    field.fill("24971563792")
    field.blur()
    expect(field).to_have_value("249.715.637-92")
    page.screenshot(path=str(screenshot_dir / "credits-dialog-document.png"))

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
    page.screenshot(path=str(screenshot_dir / "credits-dialog-pix.png"))
    page.evaluate("window.__noReload = 1")

    purchase = CreditPurchase.objects.get(tenant=tenant)
    response = httpx.post(
        f"{fake_asaas.base_url}/sandbox/payment/{purchase.asaas_payment_id}/confirm",
        headers={"access_token": API_KEY, "User-Agent": "e2e"},
        json={},
    )
    assert response.status_code == 200

    expect(dialog.get_by_text("Pagamento recebido! Créditos adicionados.")).to_be_visible(
        timeout=20_000
    )
    expect(dialog.get_by_test_id("dialog-balance")).to_have_text("500")
    expect(page.locator("#credits-balance").get_by_test_id("balance")).to_have_text("500")
    assert page.evaluate("window.__noReload") == 1
    page.screenshot(path=str(screenshot_dir / "credits-dialog-paid.png"))

    # Closing the dialog reloads the lists: the purchase and its credit are in the history.
    dialog.get_by_role("button", name="Fechar").click()
    expect(page.get_by_text("Pago", exact=True)).to_be_visible()
    expect(page.get_by_text("+500")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "credits-page-after.png"), full_page=True)
