"""Screenshots of the agenda and dashboard pages for a visual check (not part of the test run).

    .venv/bin/python -m tests.e2e.agenda_screenshots

Builds a private SQLite file (var/agenda-shot.sqlite3), seeds one clinic, starts runserver on
a private port, logs in with Debian's chromium and writes PNGs to test-artifacts/agenda/.
"""

import datetime as dt
import os

from clinicrm.devtools.screenshots import (
    ROOT,
    chromium,
    database_prepare,
    login,
    server_running,
)

DB = ROOT / "var" / "agenda-shot.sqlite3"
OUT = ROOT / "test-artifacts" / "agenda"
PORT = int(os.environ.get("SHOT_PORT", "8766"))
PASSWORD = "senha-de-teste-123"


def seed() -> dict[str, int]:
    from clinicrm.agenda.models import Appointment, AppointmentStatus, AvailabilityRule
    from clinicrm.core.models import Membership, Role, Tenant, User
    from clinicrm.core.timeutils import local_datetime, local_today
    from clinicrm.people.models import Patient, Professional

    tenant = Tenant.objects.create(name="Clínica Bem-Estar", slug="bem-estar")
    owner = User.objects.create_user(
        email="dona@bemestar.test", password=PASSWORD, first_name="Dona"
    )
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    names = ["Ana Beatriz Souza", "Carlos Mendes", "Fernanda Lima"]
    profs = [
        Professional.objects.create(tenant=tenant, full_name=n, specialty=s, session_minutes=50)
        for n, s in zip(names, ["Psicologia", "Fonoaudiologia", "Psicologia infantil"], strict=True)
    ]
    patients = [
        Patient.objects.create(tenant=tenant, full_name=f"{first} {last}")
        for first in ["João", "Maria", "Pedro", "Luiza", "Rafael", "Beatriz", "Gustavo"]
        for last in ["Silva", "Oliveira", "Costa"]
    ]
    for prof in profs:
        for weekday in range(7):
            AvailabilityRule.objects.create(
                tenant=tenant,
                professional=prof,
                weekday=weekday,
                start_time=dt.time(8),
                end_time=dt.time(12),
            )
            AvailabilityRule.objects.create(
                tenant=tenant,
                professional=prof,
                weekday=weekday,
                start_time=dt.time(14),
                end_time=dt.time(18),
            )
    today = local_today()
    monday = today - dt.timedelta(days=today.weekday())
    statuses = list(AppointmentStatus.values)
    n = 0
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        for i, prof in enumerate(profs):
            for hour in (8, 10, 14, 16)[: 2 + (offset + i) % 3]:
                start = local_datetime(day, dt.time(hour, 0))
                status = (
                    statuses[n % len(statuses)]
                    if day < today
                    else (AppointmentStatus.CONFIRMED if n % 2 else AppointmentStatus.SCHEDULED)
                )
                Appointment.objects.create(
                    tenant=tenant,
                    professional=prof,
                    patient=patients[n % len(patients)],
                    starts_at=start,
                    ends_at=start + dt.timedelta(minutes=50),
                    status=status,
                )
                n += 1
    return {"professional_id": profs[0].pk}


def main() -> None:
    database_prepare(DB)
    ids = seed()
    OUT.mkdir(parents=True, exist_ok=True)
    with server_running(DB, PORT, OUT / "server.log") as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="pt-BR")
        page.on("console", lambda msg: print("console:", msg.text))
        login(page, base, "dona@bemestar.test", PASSWORD)
        pid = ids["professional_id"]
        shots = {
            "dashboard": "/",
            "day": "/agenda/",
            "week": f"/agenda/profissionais/{pid}/semana/",
            "rules": f"/agenda/profissionais/{pid}/regras/",
            "appointment_new": f"/agenda/consultas/nova/?profissional={pid}&inicio=09:00",
        }
        for name, path in shots.items():
            page.goto(base + path)
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
        # htmx interactions: inline rule edit, patient search, a status change.
        page.goto(f"{base}/agenda/profissionais/{pid}/regras/")
        page.click(".rule-row .btn:has-text('Editar')")
        page.wait_for_selector(".rule-row.is-editing")
        page.screenshot(path=str(OUT / "rules_editing.png"), full_page=True)
        page.goto(f"{base}/agenda/consultas/nova/?profissional={pid}&inicio=09:00")
        page.fill("#patient-search", "mar")
        page.wait_for_selector(".patient-option")
        page.screenshot(path=str(OUT / "appointment_search.png"), full_page=True)
        page.goto(f"{base}/agenda/profissionais/{pid}/semana/")
        card = page.locator("article.appt").first
        card_id = card.get_attribute("id")
        card.locator("select").select_option("cancelled")
        page.wait_for_selector(f"#{card_id}.status-cancelled")
        page.screenshot(path=str(OUT / "week_after_cancel.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/agenda/")
        page.screenshot(path=str(OUT / "day_mobile.png"), full_page=True)
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
