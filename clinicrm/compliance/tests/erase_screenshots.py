"""Screenshots of the erasure dialog, the erased patient's record and the notification
preferences page at 1366 and 390 px (not a test: run by hand).

    .venv/bin/python -m clinicrm.compliance.tests.erase_screenshots

Private SQLite file (var/erase-shot.sqlite3), runserver on a private port, Debian's chromium;
PNGs go to test-artifacts/screenshots/.
"""

import os

from clinicrm.devtools.screenshots import ROOT, chromium, database_prepare, login, server_running

DB = ROOT / "var" / "erase-shot.sqlite3"
PORT = int(os.environ.get("ERASE_SHOT_PORT", "8798"))
OUT = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "senha-demo-123"
NAME = "Maria Aparecida Souza"


def seed() -> int:
    from clinicrm.agenda.tests.factories import make_appointment
    from clinicrm.core.models import Membership, Role, Tenant, User
    from clinicrm.core.notifications import notification_send
    from clinicrm.people.models import Patient
    from clinicrm.people.services import contact_phone_add

    tenant = Tenant.objects.create(name="Clínica Bem Viver", slug="bem-viver")
    owner = User.objects.create_user(
        email="dona@bem-viver.test", password=PASSWORD, first_name="Helena", last_name="Prado"
    )
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    patient = Patient.objects.create(tenant=tenant, full_name=NAME, cpf="52998224725")
    contact_phone_add(entity=patient, actor=None, number="+5511988887777")
    make_appointment(tenant, patient=patient)
    notes = (
        (
            "credits.payment_received",
            "Pagamento recebido",
            "O pagamento PIX de 500 créditos WhatsApp foi confirmado e o saldo já foi creditado.",
        ),
        (
            "channel.disconnected",
            "WhatsApp desconectado",
            "O WhatsApp da clínica se "
            "desconectou: mensagens e lembretes não saem até ele ser reconectado.",
        ),
        (
            "reminders.failed",
            "Falha no envio de lembretes",
            "1 lembrete de sessão não foi "
            "enviado. Motivo: WhatsApp da clínica desconectado. Veja o registro e avise os "
            "pacientes.",
        ),
        (
            "lgpd.export_ready",
            "Exportação LGPD pronta",
            "A exportação de dados que você pediu está pronta para baixar. O link vale 24 horas.",
        ),
    )
    for kind, title, body in notes:
        notification_send(tenant=tenant, user_ids=[owner.pk], kind=kind, title=title, body=body)
    return patient.pk


def main() -> None:
    database_prepare(DB)
    patient_id = seed()
    OUT.mkdir(parents=True, exist_ok=True)
    with server_running(DB, PORT, ROOT / "var" / "erase-shot.log") as base, chromium() as b:
        for width, height in ((1366, 900), (390, 844)):
            page = b.new_page(viewport={"width": width, "height": height})
            login(page, base, "dona@bem-viver.test", PASSWORD)
            page.goto(f"{base}/pacientes/{patient_id}/?aba=lgpd")
            page.screenshot(path=OUT / f"erase-tab-{width}.png", full_page=True)
            page.click("[data-testid=lgpd-erase-open]")
            page.fill("#erase-confirm", "Maria Aparecida")
            page.screenshot(path=OUT / f"erase-dialog-{width}.png")
            page.goto(f"{base}/notificacoes/preferencias/")
            page.screenshot(path=OUT / f"notification-prefs-{width}.png", full_page=True)
            page.goto(f"{base}/notificacoes/")
            page.screenshot(path=OUT / f"notifications-{width}.png", full_page=True)
            page.close()
        page = b.new_page(viewport={"width": 1366, "height": 900})
        login(page, base, "dona@bem-viver.test", PASSWORD)
        page.goto(f"{base}/pacientes/{patient_id}/?aba=lgpd")
        page.click("[data-testid=lgpd-erase-open]")
        page.fill("#erase-confirm", NAME)
        page.click("#erase-dialog button[type=submit]")
        page.wait_for_selector("[data-testid=lgpd-erased]")
        page.screenshot(path=OUT / "erase-done-1366.png", full_page=True)
        page.close()
        # The erased record afterwards: banner, no write action, the appointments still there.
        for width, height in ((1366, 900), (390, 844)):
            page = b.new_page(viewport={"width": width, "height": height})
            login(page, base, "dona@bem-viver.test", PASSWORD)
            for tab in ("dados", "consultas", "contatos"):
                page.goto(f"{base}/pacientes/{patient_id}/?aba={tab}")
                page.wait_for_selector("[data-testid=patient-frozen]")
                page.screenshot(path=OUT / f"erased-record-{tab}-{width}.png", full_page=True)
            page.goto(f"{base}/pacientes/{patient_id}/editar/")  # refused: back to the record
            page.wait_for_selector(".flash-error")
            page.screenshot(path=OUT / f"erased-record-edit-refused-{width}.png", full_page=True)
            page.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
