"""The patient record's "Consultas" tab: the patient's own appointments only, upcoming soonest
first and past newest first, each with its date, professional and status; at most 20 of each."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from clinicrm.agenda.models import AppointmentStatus as S
from clinicrm.agenda.patient_tab import patient_appointments
from clinicrm.agenda.tests.factories import make_appointment, make_patient, make_professional
from clinicrm.core.timeutils import SAO_PAULO

pytestmark = pytest.mark.django_db


def _day(days: int) -> dt.date:
    return timezone.now().astimezone(SAO_PAULO).date() + dt.timedelta(days=days)


def _history(tenant):
    patient = make_patient(tenant, "Rodrigo Fernandes Mendes")
    helena = make_professional(tenant, "Dra. Helena Costa")
    igor = make_professional(tenant, "Dr. Igor Lima")
    made = {
        # Created out of order: the tab sorts, not the insertion.
        "next_week": make_appointment(tenant, professional=igor, patient=patient, day=_day(7)),
        "tomorrow": make_appointment(
            tenant, professional=helena, patient=patient, day=_day(1), status=S.CONFIRMED
        ),
        "last_month": make_appointment(
            tenant, professional=helena, patient=patient, day=_day(-30), status=S.NO_SHOW
        ),
        "last_week": make_appointment(
            tenant, professional=igor, patient=patient, day=_day(-7), status=S.ATTENDED
        ),
        "cancelled": make_appointment(
            tenant,
            professional=helena,
            patient=patient,
            day=_day(-7),
            start=dt.time(14),
            status=S.CANCELLED,
        ),
    }
    # Another patient of the same professionals: never in this record.
    make_appointment(tenant, professional=helena, patient=make_patient(tenant), day=_day(2))
    make_appointment(tenant, professional=helena, patient=make_patient(tenant), day=_day(-2))
    return patient, made


def test_the_selector_splits_upcoming_and_past_in_order_and_limits_each(tenant):
    patient, made = _history(tenant)
    tab = patient_appointments(patient=patient)
    assert tab["upcoming"] == [made["tomorrow"], made["next_week"]]
    assert tab["past"] == [made["cancelled"], made["last_week"], made["last_month"]]
    assert [a.pill_class for a in tab["past"]] == ["pill", "pill pill-ok", "pill pill-danger"]  # type: ignore[attr-defined]
    limited = patient_appointments(patient=patient, limit=1)
    assert limited == {"upcoming": [made["tomorrow"]], "past": [made["cancelled"]]}


def _rows(html: str, testid: str) -> list[str]:
    block = re.search(rf'data-testid="{testid}">(.*?)</ul>', html, re.S)
    assert block, f"no {testid} list"
    rows = re.findall(r"<li data-appointment=\"\d+\">(.*?)</li>", block.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def test_the_consultas_tab_lists_each_appointment_with_date_professional_and_status(
    owner_client, tenant
):
    patient, made = _history(tenant)
    url = reverse("people:patient_detail", kwargs={"patient_id": patient.pk})
    html = owner_client.get(url, {"aba": "consultas"}).content.decode()

    def when(key: str) -> str:
        return made[key].starts_at.astimezone(SAO_PAULO).strftime("%d/%m/%Y %H:%M")

    upcoming = _rows(html, "appointments-upcoming")
    assert len(upcoming) == 2
    assert when("tomorrow") in upcoming[0] and upcoming[0].endswith("Dra. Helena Costa Confirmada")
    assert when("next_week") in upcoming[1] and upcoming[1].endswith("Dr. Igor Lima Agendada")
    past = _rows(html, "appointments-past")
    assert [row.split(" ", 1)[1] for row in past] == [
        f"{when('cancelled')} Dra. Helena Costa Cancelada",
        f"{when('last_week')} Dr. Igor Lima Compareceu",
        f"{when('last_month')} Dra. Helena Costa Faltou",
    ]
    assert "Marcar consulta" in html

    # A patient with no appointment: both lists say so.
    html = owner_client.get(
        reverse("people:patient_detail", kwargs={"patient_id": make_patient(tenant).pk}),
        {"aba": "consultas"},
    ).content.decode()
    assert _rows(html, "appointments-upcoming") == []
    assert "Nenhuma consulta marcada." in html and "Nenhuma consulta anterior." in html
