"""Screenshots of every tab of the SaaS console (not a test: run by hand).

    .venv/bin/python -m clinicrm.saas.tests.screenshots

Uses a private SQLite file (var/saas-shot.sqlite3), seeds demo data, starts runserver on a
private port, drives Debian's chromium with Playwright and writes PNGs to
test-artifacts/screenshots/. The server is stopped at the end.
"""

import os
from decimal import Decimal

from clinicrm.devtools.screenshots import (
    ROOT,
    chromium,
    database_prepare,
    login,
    server_running,
)

DB = ROOT / "var" / "saas-shot.sqlite3"
PORT = int(os.environ.get("SAAS_SHOT_PORT", "8791"))
OUT = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "senha-demo-123"


def seed() -> None:
    from clinicrm.core.models import Membership, Role, Tenant, User
    from clinicrm.credits.models import AddonCredit, AddonProduct, AddonTransaction, CreditPackage
    from clinicrm.credits.services import credits_add, credits_adjust

    staff = User.objects.create_user(
        email="equipe@clinicrm.test", password=PASSWORD, first_name="Equipe", is_staff=True
    )
    tenants = []
    for name, slug, doc in (
        ("Clínica Bem Viver", "bem-viver", "11222333000181"),
        ("Espaço Mente Sã", "mente-sa", "52998224725"),
        ("Instituto Equilíbrio", "equilibrio", None),
    ):
        t = Tenant.objects.create(name=name, slug=slug, cpf_cnpj=doc)
        owner = User.objects.create_user(email=f"dona@{slug}.test", password=PASSWORD)
        Membership.objects.create(tenant=t, user=owner, role=Role.OWNER)
        tenants.append(t)
    for i, (name, credits, price, featured) in enumerate(
        (
            ("Inicial", 100, "29.90", False),
            ("Clínica", 500, "119.90", True),
            ("Profissional", 2000, "399.00", False),
        )
    ):
        CreditPackage.objects.create(
            name=f"Pacote {name}",
            credits=credits,
            price_brl=Decimal(price),
            is_featured=featured,
            position=(i + 1) * 10,
            description=f"{credits} mensagens",
        )
    CreditPackage.objects.create(
        name="Promoção antiga", credits=50, price_brl=Decimal("9.90"), is_active=False
    )
    products = [
        AddonProduct.objects.create(
            slug="sms-500",
            name="SMS 500",
            addon_type="sms",
            credits_amount=500,
            price_cents=4990,
            sort_order=1,
        ),
        AddonProduct.objects.create(
            slug="ia-1000",
            name="Assistente IA 1000",
            addon_type="ai_assistant",
            credits_amount=1000,
            price_cents=9900,
            sort_order=2,
            is_visible=False,
        ),
    ]
    for t, bal in zip(tenants, (340, 12, 0), strict=True):
        AddonCredit.objects.create(
            tenant=t,
            addon_type="sms",
            balance=bal,
            total_purchased=500,
            total_consumed=500 - bal,
            daily_limit=200,
            hourly_limit=50,
        )
        AddonTransaction.objects.create(
            tenant=t,
            addon_type="sms",
            type="purchase",
            amount=500,
            balance_before=0,
            balance_after=500,
            product=products[0],
            price_cents=4990,
        )
        AddonTransaction.objects.create(
            tenant=t,
            addon_type="sms",
            type="consumption",
            amount=-(500 - bal),
            balance_before=500,
            balance_after=bal,
        )
    credits_add(
        tenant=tenants[0],
        amount=500,
        kind="topup_manual",
        admin=staff,
        note="Cortesia de implantação",
    )
    credits_add(tenant=tenants[1], amount=100, kind="topup_manual", admin=staff, note="Teste")
    credits_adjust(tenant=tenants[0], amount=-20, admin=staff, note="Correção de cobrança")


def shots(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="pt-BR")
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        login(page, base, "equipe@clinicrm.test", PASSWORD, landing="/saas/")
        page.wait_for_load_state("networkidle")

        def shot(path: str, name: str) -> None:
            page.goto(f"{base}{path}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"saas-{name}.png"), full_page=True)

        shot("/saas/", "home")
        shot("/saas/addons", "tab-produtos")
        shot("/saas/addons/produtos/novo", "produto-form")
        shot("/saas/addons/creditos", "tab-creditos")
        shot("/saas/addons/transacoes", "tab-transacoes")
        shot("/saas/addons/pacotes-whatsapp", "tab-pacotes")
        # Inline toggle (htmx swaps the row).
        page.locator("tr", has_text="Promoção antiga").locator("button.switch").click()
        page.wait_for_timeout(500)
        assert "Ativo" in page.locator("tr", has_text="Promoção antiga").inner_text()
        # Edit dialog with invalid input: errors inside the dialog.
        page.locator("tr", has_text="Pacote Inicial").get_by_text("Editar").click()
        page.wait_for_selector("dialog[open] form")
        page.fill("dialog input[name=credits]", "0")
        page.fill("dialog input[name=price_brl]", "0")
        page.click("dialog button[type=submit]")
        page.wait_for_selector("dialog[open] .field-error", timeout=5000)
        page.screenshot(path=str(OUT / "saas-pacote-dialog-erros.png"))
        page.fill("dialog input[name=credits]", "150")
        page.fill("dialog input[name=price_brl]", "R$ 39,90")
        page.click("dialog button[type=submit]")
        page.wait_for_selector("dialog[open]", state="detached", timeout=5000)
        page.wait_for_timeout(300)
        assert "150" in page.locator("tr", has_text="Pacote Inicial").inner_text()
        page.screenshot(path=str(OUT / "saas-tab-pacotes-apos-edicao.png"), full_page=True)
        shot("/saas/addons/topup-whatsapp", "tab-topup")
        page.select_option("select[name=tenant]", label="Clínica Bem Viver")
        page.wait_for_selector("#tenant-balance [data-balance]")
        page.wait_for_timeout(300)
        page.screenshot(path=str(OUT / "saas-topup-saldo.png"), full_page=True)
        page.fill("input[name=amount]", "0")
        page.fill("textarea[name=note]", "Teste")
        page.click("main button.btn-primary")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(OUT / "saas-topup-erro.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        shot("/saas/addons/pacotes-whatsapp", "mobile-pacotes")
    if errors:
        print("console errors:", errors)


def main() -> None:
    database_prepare(DB)
    seed()
    with server_running(DB, PORT, OUT / "saas-server.log") as base:
        shots(base)
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
