"""Screenshots of the pages the accessibility work touched, at 1366 px, 390 px and 640 px (a
1280 px window at 200% zoom), with the keyboard focus visible (not part of the test run).

    .venv/bin/python -m tests.e2e.a11y_screenshots

Builds a private SQLite file (var/a11y-shot.sqlite3) with the demo seed, starts runserver on a
private port, logs in with Debian's chromium and writes PNGs to test-artifacts/a11y/.
"""

import os

from clinicrm.devtools.screenshots import ROOT, chromium, database_prepare, login, server_running

DB = ROOT / "var" / "a11y-shot.sqlite3"
OUT = ROOT / "test-artifacts" / "a11y"
PORT = int(os.environ.get("SHOT_PORT", "8767"))
WIDTHS = {"1366": (1366, 900), "390": (390, 844), "640": (640, 430)}


def seed() -> dict[str, int]:
    from clinicrm.core.models import Tenant
    from clinicrm.devtools.seed import seed_demo
    from clinicrm.people.models import ContactPhone, Professional

    seed_demo()
    tenant = Tenant.objects.get(slug="bem-estar")
    phone = ContactPhone.objects.filter(tenant=tenant, entity_type="patient").order_by("pk")[0]
    professional = Professional.objects.filter(tenant=tenant).order_by("pk")[0]
    return {"patient": phone.entity_id, "professional": professional.pk}


def main() -> None:
    database_prepare(DB)
    from clinicrm.devtools.seed import DEMO_PASSWORD

    ids = seed()
    OUT.mkdir(parents=True, exist_ok=True)
    pages = {
        "dashboard": "/",
        "day": "/agenda/",
        "week": f"/agenda/profissionais/{ids['professional']}/semana/",
        "patient_edit": f"/pacientes/{ids['patient']}/editar/",
        "credits": "/configuracoes/creditos-whatsapp",
        "members": "/membros/",
        "inbox": "/conversas/",
        "kanban": "/conversas/kanban/",
    }
    with server_running(DB, PORT, OUT / "server.log") as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="pt-BR")
        page.goto(f"{base}/entrar/")
        page.keyboard.press("Tab")  # the skip link shows
        page.screenshot(path=str(OUT / "login_skip_link.png"))
        login(page, base, "dona@bemestar.demo", DEMO_PASSWORD)
        for width, (w, h) in WIDTHS.items():
            page.set_viewport_size({"width": w, "height": h})
            for name, path in pages.items():
                page.goto(base + path)
                page.screenshot(path=str(OUT / f"{name}_{width}.png"), full_page=True)
        page.set_viewport_size({"width": 1366, "height": 900})
        # Focus rings and the keyboard-revealed confirm button of a status select.
        page.goto(f"{base}/agenda/")
        select = page.locator("select.appt-status-select").first
        select.focus()
        page.keyboard.press("ArrowDown")
        page.screenshot(path=str(OUT / "day_status_pending.png"))
        page.keyboard.press("Tab")
        page.screenshot(path=str(OUT / "day_status_confirm_focus.png"))
        page.goto(f"{base}/pacientes/{ids['patient']}/editar/")
        page.locator("#phones-editor .contact-add input[type=tel]").fill("123")
        page.keyboard.press("Enter")
        page.wait_for_selector("#phones-editor [aria-invalid=true]:focus")
        page.screenshot(path=str(OUT / "contact_error_focus.png"))
        page.goto(f"{base}/configuracoes/creditos-whatsapp")
        page.locator("a[data-dialog-open]").first.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("#purchase-dialog input:focus")
        page.screenshot(path=str(OUT / "credits_dialog_focus.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/agenda/")
        page.locator("[data-toggle=sidebar]").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("#sidebar a:focus")
        page.screenshot(path=str(OUT / "menu_open_390.png"))
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
