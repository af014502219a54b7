"""An unusual booking (a holiday, past the professional's hours, the patient booked elsewhere
at the same time) is saved only after "Agendar mesmo assim", and the page then shows the
booking's week, not the current one."""

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clinicrm.agenda.models import Appointment, AppointmentStatus, AvailabilityRule
from clinicrm.agenda.tests.factories import make_appointment
from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.people.models import Patient, Professional
from conftest import make_user
from tests.e2e.helpers import login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

CHRISTMAS = dt.date(2030, 12, 25)  # a Wednesday


def test_unusual_booking_needs_agendar_mesmo_assim(
    page: Page, live_server, screenshot_dir: Path
) -> None:
    tenant = Tenant.objects.create(name="Clínica Aurora", slug="aurora")
    user = make_user("recepcao@aurora.test")
    Membership.objects.create(tenant=tenant, user=user, role=Role.SECRETARY)
    helena = Professional.objects.create(tenant=tenant, full_name="Dra. Helena Costa")
    igor = Professional.objects.create(tenant=tenant, full_name="Dr. Igor Lima")
    for weekday in range(5):
        AvailabilityRule.objects.create(
            tenant=tenant,
            professional=helena,
            weekday=weekday,
            start_time=dt.time(8),
            end_time=dt.time(18),
        )
    joana = Patient.objects.create(tenant=tenant, full_name="Joana Prado")
    make_appointment(tenant, professional=igor, patient=joana, day=CHRISTMAS, start=dt.time(21))
    make_appointment(
        tenant,
        professional=helena,
        day=CHRISTMAS - dt.timedelta(days=2),
        status=AppointmentStatus.ATTENDED,
    )

    base = live_server.url
    login(page, base, user.email)
    page.goto(f"{base}/agenda/profissionais/{helena.pk}/semana/")
    page.get_by_role("link", name="+ Nova consulta").click()
    page.get_by_label("Profissional").select_option(label="Dra. Helena Costa")
    page.locator("#patient-search").fill("joana")
    page.get_by_label("Joana Prado").check()
    page.get_by_label("Data").fill(CHRISTMAS.isoformat())
    page.get_by_label("Início").fill("21:00")
    page.get_by_label("Término").fill("21:50")
    page.get_by_role("button", name="Agendar", exact=True).click()

    warnings = page.locator("#booking-warnings")
    expect(warnings).to_contain_text("25/12/2030 é feriado (Natal).")
    expect(warnings).to_contain_text("Fora do horário de atendimento de Dra. Helena Costa")
    expect(warnings).to_contain_text("Joana Prado já tem consulta com Dr. Igor Lima")
    assert not Appointment.objects.filter(professional=helena, patient=joana).exists()
    page.screenshot(path=str(screenshot_dir / "agenda-booking-warnings.png"), full_page=True)

    page.get_by_role("button", name="Agendar mesmo assim").click()
    page.wait_for_url(re.compile(r".*/semana/\?semana=2030-12-25#appt-\d+$"))
    booked = Appointment.objects.get(professional=helena, patient=joana)
    expect(page.locator(".flash-success")).to_have_text(
        "Consulta agendada para 25/12/2030 às 21:00."
    )
    card = page.locator(f"#appt-{booked.pk}")
    expect(card).to_contain_text("Joana Prado")
    expect(card).to_contain_text("21:00–21:50")
    page.screenshot(path=str(screenshot_dir / "agenda-booking-saved-week.png"), full_page=True)

    # The status selects show their whole label ("Compareceu", the longest) on a laptop screen.
    for width in (1280, 1366):
        page.set_viewport_size({"width": width, "height": 860})
        assert page.evaluate(CLIPPED_SELECTS) == [], width


# Labels wider than their select's text box (its width minus the padding, which holds the arrow).
CLIPPED_SELECTS = """() => {
  const ctx = document.createElement("canvas").getContext("2d");
  return [...document.querySelectorAll(".week-grid select.appt-status-select")].filter((el) => {
    const style = getComputedStyle(el);
    ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const text = ctx.measureText(el.options[el.selectedIndex].text).width;
    return text + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight) > el.clientWidth;
  }).map((el) => el.options[el.selectedIndex].text);
}"""
