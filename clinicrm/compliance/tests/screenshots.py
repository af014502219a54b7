"""Screenshots of the audit pages at 1366 and 390 px (not a test: run by hand).

    .venv/bin/python -m clinicrm.compliance.tests.screenshots

Private SQLite file (var/compliance-shot.sqlite3), runserver on a private port, Debian's
chromium; PNGs go to test-artifacts/screenshots/.
"""

import datetime as dt
import os

from clinicrm.devtools.screenshots import ROOT, chromium, database_prepare, login, server_running

DB = ROOT / "var" / "compliance-shot.sqlite3"
PORT = int(os.environ.get("COMPLIANCE_SHOT_PORT", "8797"))
OUT = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "senha-demo-123"
ACTIONS: tuple[tuple[str, str, dict[str, object]], ...] = (
    ("patient.view", "patient", {}),
    ("message.send", "message", {"kind": "text", "provider": "evolution", "charged": False}),
    ("conversation.assign", "thread", {"fields": ["assigned_to"]}),
    ("optout.create", "optout", {"source": "keyword"}),
    ("patient.update", "patient", {"fields": ["cpf", "notes"]}),
    ("credits.topup_manual", "credittransaction", {"kind": "topup_manual"}),
)


def seed() -> None:
    import time_machine

    from clinicrm.core.models import Membership, Role, Tenant, User
    from clinicrm.core.services import audit_log_record

    tenant = Tenant.objects.create(name="Clínica Bem Viver", slug="bem-viver")
    owner = User.objects.create_user(
        email="dona@bem-viver.test", password=PASSWORD, first_name="Helena", last_name="Prado"
    )
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    rafael = User.objects.create_user(
        email="rafael@bem-viver.test", password=PASSWORD, first_name="Rafael", last_name="Souza"
    )
    Membership.objects.create(tenant=tenant, user=rafael, role=Role.PROFESSIONAL)
    User.objects.create_user(email="equipe@clinicrm.test", password=PASSWORD, is_staff=True)
    start = dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)
    for i in range(70):
        action, object_type, details = ACTIONS[i % len(ACTIONS)]
        with time_machine.travel(start + dt.timedelta(minutes=37 * i), tick=False):
            audit_log_record(
                action=action,
                user=(None if action == "optout.create" else (owner, rafael)[i % 2]),
                tenant=tenant,
                object_type=object_type,
                object_id=str(100 + i),
                ip="203.0.113.7",
                details=details,
            )


def main() -> None:
    database_prepare(DB)
    seed()
    OUT.mkdir(parents=True, exist_ok=True)
    with server_running(DB, PORT, ROOT / "var" / "compliance-shot.log") as base, chromium() as b:
        for width, height in ((1366, 900), (390, 844)):
            page = b.new_page(viewport={"width": width, "height": height})
            login(page, base, "dona@bem-viver.test", PASSWORD)
            page.goto(f"{base}/configuracoes/auditoria")
            page.screenshot(path=OUT / f"audit-list-{width}.png", full_page=True)
            page.screenshot(path=OUT / f"audit-list-top-{width}.png")
            page.goto(f"{base}/configuracoes/auditoria?action=nada")
            page.screenshot(path=OUT / f"audit-error-{width}.png", full_page=True)
            page.goto(f"{base}/configuracoes/auditoria?action=patient.view&date_from=2027-01-01")
            page.screenshot(path=OUT / f"audit-empty-{width}.png", full_page=True)
            page.goto(f"{base}/configuracoes/auditoria")
            page.click("a:has-text('Detalhes') >> nth=1")
            page.screenshot(path=OUT / f"audit-detail-{width}.png", full_page=True)
            page.close()
        page = b.new_page(viewport={"width": 1366, "height": 900})
        login(page, base, "equipe@clinicrm.test", PASSWORD, landing="/saas/")
        page.goto(f"{base}/saas/auditoria")
        page.screenshot(path=OUT / "audit-saas-1366.png", full_page=True)
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
