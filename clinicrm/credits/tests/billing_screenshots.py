"""Screenshots of the billing pages at 1366 and 390 px (a visual check, not a test).

    .venv/bin/python -m clinicrm.credits.tests.billing_screenshots

Uses a private SQLite file (var/billing-shot.sqlite3): migrates, runs the demo seed, adds a
statement's worth of movements (a paid and a pending PIX purchase, messages charged and one
refunded, add-on credits), starts a fake Asaas and a fake Evolution in this process and
runserver on a private port, and writes PNGs to test-artifacts/billing/: the credits page and
its purchase dialog (form and PIX), the purchase as a page of its own, the statement, the SaaS
console (home, packages, "Novo pacote" on its own page, top-up), the "Desconectar" dialog, the
simulator and the appointment form.
"""

import os
from decimal import Decimal
from typing import TYPE_CHECKING

from clinicrm.devtools.screenshots import ROOT, chromium, database_prepare, login, server_running

if TYPE_CHECKING:
    from playwright.sync_api import Page

DB = ROOT / "var" / "billing-shot.sqlite3"
OUT = ROOT / "test-artifacts" / "billing"
PORT = int(os.environ.get("SHOT_PORT", "8794"))
WIDTHS = (1366, 390)
ASAAS_KEY = "$aact_hmlg_000MzkwODA2MWY2OGM3MWRlMDU2NWM3MzJlNzZmNGZhZGY6OmZha2U="


def seed(evolution_url: str) -> str:
    from clinicrm.core.models import Tenant
    from clinicrm.credits.models import CreditPurchase
    from clinicrm.credits.purchases import purchase_payment_received
    from clinicrm.credits.services import (
        addon_credits_add,
        addon_credits_consume,
        credits_deduct,
        credits_refund,
    )
    from clinicrm.credits.services._notify import staff_notify
    from clinicrm.devtools.seed import DEMO_PASSWORD, seed_demo
    from clinicrm.messaging.models import Channel, Direction, Message, MessageStatus

    seed_demo()
    solo = Tenant.objects.get(slug="dra-ana-lima")
    paid = CreditPurchase.objects.create(
        tenant=solo, package_name="500 créditos", credits=500, amount_brl=Decimal("119.90")
    )
    purchase_payment_received(purchase=paid)
    CreditPurchase.objects.create(
        tenant=solo, package_name="100 créditos", credits=100, amount_brl=Decimal("29.90")
    )
    outbound = Message.objects.filter(tenant=solo, direction=Direction.OUTBOUND).order_by("id")
    for message in outbound[:4]:
        credits_deduct(tenant=solo, message_id=message.pk)
    refused = outbound[3]
    Message.objects.filter(pk=refused.pk).update(
        status=MessageStatus.FAILED,
        error_code="63016",
        error_message="A janela de 24 horas do WhatsApp está fechada: envie um modelo aprovado.",
    )
    credits_refund(tenant=solo, message_id=refused.pk)
    addon_credits_add(
        tenant=solo, addon_type="sms", amount=100, price_cents=1990, description="Pacote SMS 100"
    )
    addon_credits_consume(tenant=solo, addon_type="sms")
    # A notice for the staff (what a refund of already-used credits raises).
    staff_notify(
        tenant=solo,
        kind="credits.refund_review",
        title="Estorno com créditos já consumidos",
        body="Uma compra de 500 créditos foi estornada, mas 37 créditos já tinham sido usados.",
        url="/saas/addons/topup-whatsapp",
    )
    clinic = Tenant.objects.get(slug="bem-estar")
    channel = Channel.objects.get(tenant=clinic)
    channel.config = {**channel.config, "server_url": evolution_url}
    channel.status = "open"
    channel.save()
    return DEMO_PASSWORD


def _shot(page: "Page", base: str, name: str, width: int, url: str | None = None) -> None:
    if url is not None:
        page.goto(f"{base}{url}")
        page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUT / f"{name}-{width}.png"), full_page=True)


def main() -> None:
    from clinicrm.devtools.fake_asaas.server import FakeAsaasServer
    from clinicrm.devtools.fake_evolution.server import FakeEvolutionServer

    asaas = FakeAsaasServer(api_keys={ASAAS_KEY}).start()
    evolution = FakeEvolutionServer().start()
    os.environ.update(
        ASAAS_BASE_URL=asaas.base_url, ASAAS_API_KEY=ASAAS_KEY, EVOLUTION_BASE_URL=evolution.url
    )
    database_prepare(DB)
    password = seed(evolution.url)

    from clinicrm.credits.models import CreditPackage
    from clinicrm.messaging.models import Channel

    channel = Channel.objects.get(tenant__slug="bem-estar")
    evolution.create_open_instance(channel.config["instance_name"], token=channel.secrets["apikey"])
    package = CreditPackage.objects.get(name="500 créditos")
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        with server_running(DB, PORT, OUT / "server.log") as base, chromium() as browser:
            for width in WIDTHS:
                context = browser.new_context(
                    viewport={"width": width, "height": 900}, locale="pt-BR"
                )
                page = context.new_page()
                page.on("console", lambda m: print("console:", m.type, m.text))

                login(page, base, "ana@analima.demo", password)
                _shot(page, base, "credits", width, "/configuracoes/creditos-whatsapp")
                page.locator(".package-card.is-featured").get_by_role(
                    "link", name="Comprar"
                ).click()
                page.locator("#purchase-dialog input[name=cpf_cnpj]").wait_for()
                page.screenshot(path=str(OUT / f"credits-dialog-form-{width}.png"))
                page.locator("#purchase-dialog").get_by_role("button", name="Gerar PIX").click()
                page.locator("#purchase-dialog .pix-qr").wait_for()
                page.screenshot(path=str(OUT / f"credits-dialog-pix-{width}.png"))
                _shot(
                    page,
                    base,
                    "credits-purchase-page",
                    width,
                    f"/configuracoes/creditos-whatsapp/comprar?package_id={package.pk}",
                )
                _shot(page, base, "statement", width, "/configuracoes/extrato")
                _shot(
                    page, base, "statement-filtered", width, "/configuracoes/extrato?kind=reembolso"
                )
                context.close()

                context = browser.new_context(
                    viewport={"width": width, "height": 900}, locale="pt-BR"
                )
                page = context.new_page()
                login(page, base, "staff@clinicrm.demo", password, landing="/saas/")
                _shot(page, base, "saas-home", width)
                _shot(page, base, "saas-packages", width, "/saas/addons/pacotes-whatsapp")
                _shot(
                    page, base, "saas-package-new-page", width, "/saas/addons/pacotes-whatsapp/novo"
                )
                _shot(page, base, "saas-topup", width, "/saas/addons/topup-whatsapp")
                context.close()

                context = browser.new_context(
                    viewport={"width": width, "height": 900}, locale="pt-BR"
                )
                page = context.new_page()
                login(page, base, "dona@bemestar.demo", password)
                page.goto(f"{base}/configuracoes/whatsapp/evolution/")
                page.get_by_role("button", name="Desconectar").click()
                page.locator("dialog.confirm-dialog").wait_for()
                _shot(page, base, "evolution-disconnect-dialog", width)
                _shot(page, base, "appointment-form", width, "/agenda/consultas/nova/")
                context.close()

                context = browser.new_context(
                    viewport={"width": width, "height": 900}, locale="pt-BR"
                )
                page = context.new_page()
                login(page, base, "recepcao@bemestar.demo", password)
                _shot(page, base, "simulator", width, "/simulador/")
                context.close()
    finally:
        asaas.stop()
        evolution.stop()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
