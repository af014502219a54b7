"""Unusual bookings warn and need "Agendar mesmo assim"; the saved booking's day is shown."""

import datetime as dt

import pytest
from django.urls import reverse

from clinicrm.agenda.booking_checks import appointment_warnings
from clinicrm.agenda.models import Appointment, AppointmentStatus
from clinicrm.agenda.services import (
    AppointmentNeedsConfirmation,
    appointment_create,
    appointment_update,
)
from clinicrm.agenda.tests.factories import (
    make_appointment,
    make_patient,
    make_professional,
    make_rule,
)
from clinicrm.core.models import AuditLog
from clinicrm.core.timeutils import local_datetime

pytestmark = pytest.mark.django_db

TUESDAY = dt.date(2026, 3, 10)
SUNDAY = dt.date(2026, 3, 15)
TIRADENTES = dt.date(2026, 4, 21)  # a Tuesday, national holiday
SP_DAY = dt.date(2026, 7, 9)  # a Thursday, São Paulo state holiday


@pytest.fixture
def prof(tenant):
    """Works Tuesdays and Thursdays 08:00-12:00 and 13:00-18:00."""
    professional = make_professional(tenant, "Dra. Helena Prado")
    for weekday in (1, 3):
        make_rule(tenant, professional=professional, weekday=weekday, end=dt.time(12))
        make_rule(
            tenant,
            professional=professional,
            weekday=weekday,
            start=dt.time(13),
            end=dt.time(18),
        )
    return professional


def _codes(tenant, prof, patient, day, start, minutes=50):
    starts_at = local_datetime(day, start)
    return [
        w.code
        for w in appointment_warnings(
            tenant=tenant,
            professional=prof,
            patient=patient,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=minutes),
        )
    ]


def test_warnings_of_each_kind(tenant, prof):
    patient = make_patient(tenant, "Otávio Reis")
    assert _codes(tenant, prof, patient, TUESDAY, dt.time(9)) == []
    assert _codes(tenant, prof, patient, TUESDAY, dt.time(17, 10)) == []  # ends at 18:00
    assert _codes(tenant, prof, patient, TUESDAY, dt.time(21)) == ["outside_availability"]
    assert _codes(tenant, prof, patient, TUESDAY, dt.time(11, 30)) == ["outside_availability"]
    assert _codes(tenant, prof, patient, TUESDAY, dt.time(7, 30)) == ["outside_availability"]
    assert _codes(tenant, prof, patient, TUESDAY, dt.time(23, 30)) == ["outside_availability"]
    assert _codes(tenant, prof, patient, SUNDAY, dt.time(9)) == ["day_off"]
    assert _codes(tenant, prof, patient, TIRADENTES, dt.time(9)) == ["holiday"]
    # A state holiday counts only for clinics of that state.
    assert _codes(tenant, prof, patient, SP_DAY, dt.time(9)) == []
    tenant.state = "SP"
    assert _codes(tenant, prof, patient, SP_DAY, dt.time(9)) == ["holiday"]


def test_messages_say_what_is_wrong(tenant, prof):
    patient = make_patient(tenant, "Otávio Reis")
    other = make_professional(tenant, "Dr. Caio Nunes")
    make_appointment(tenant, professional=other, patient=patient, day=SUNDAY, start=dt.time(9))
    starts_at = local_datetime(SUNDAY, dt.time(9, 20))
    messages = [
        w.message
        for w in appointment_warnings(
            tenant=tenant,
            professional=prof,
            patient=patient,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=50),
        )
    ]
    assert messages == [
        "Domingo é dia sem atendimento de Dra. Helena Prado.",
        "Otávio Reis já tem consulta com Dr. Caio Nunes em 15/03/2026 das 09:00 às 09:50.",
    ]
    starts_at = local_datetime(TUESDAY, dt.time(21))
    (outside,) = appointment_warnings(
        tenant=tenant,
        professional=prof,
        patient=make_patient(tenant),
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=50),
    )
    assert outside.message == (
        "Fora do horário de atendimento de Dra. Helena Prado (Terça: 08:00–12:00, 13:00–18:00)."
    )


def test_patient_overlap_ignores_cancelled_and_itself(tenant, prof):
    patient = make_patient(tenant)
    other = make_professional(tenant)
    mine = make_appointment(tenant, professional=prof, patient=patient, day=TUESDAY)
    assert _codes(tenant, prof, patient, TUESDAY, dt.time(9, 30)) == ["patient_overlap"]
    starts_at = local_datetime(TUESDAY, dt.time(9))
    found = appointment_warnings(
        tenant=tenant,
        professional=prof,
        patient=patient,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=50),
        exclude_id=mine.pk,
    )
    assert found == []
    Appointment.objects.filter(pk=mine.pk).update(status=AppointmentStatus.CANCELLED)
    assert _codes(tenant, other, patient, TUESDAY, dt.time(9, 30)) == []


def test_a_professional_without_rules_has_no_hours_to_compare(tenant):
    patient = make_patient(tenant)
    assert _codes(tenant, make_professional(tenant), patient, SUNDAY, dt.time(22)) == []


def _create(tenant, owner, prof, patient, day, start, **kw):
    starts_at = local_datetime(day, start)
    return appointment_create(
        tenant=tenant,
        actor=owner,
        professional_id=prof.pk,
        patient_id=patient.pk,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=50),
        **kw,
    )


def test_service_saves_only_when_confirmed_and_audits_it(tenant, owner, prof):
    patient = make_patient(tenant)
    with pytest.raises(AppointmentNeedsConfirmation) as excinfo:
        _create(tenant, owner, prof, patient, TUESDAY, dt.time(21))
    assert excinfo.value.field == "confirm_warnings"
    assert [w.code for w in excinfo.value.warnings] == ["outside_availability"]
    assert not Appointment.objects.exists()

    appointment = _create(
        tenant, owner, prof, patient, TUESDAY, dt.time(21), warnings_confirmed=True
    )
    audit = AuditLog.objects.get(action="appointment.create")
    assert audit.details["confirmed_warnings"] == ["outside_availability"]
    assert audit.object_id == str(appointment.pk)


def test_update_asks_again_only_when_who_or_when_changes(tenant, owner, prof):
    patient = make_patient(tenant)
    appointment = _create(tenant, owner, prof, patient, SUNDAY, dt.time(9), warnings_confirmed=True)

    def update(day, start, **kw):
        starts_at = local_datetime(day, start)
        return appointment_update(
            appointment=appointment,
            actor=owner,
            professional_id=prof.pk,
            patient_id=patient.pk,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=50),
            status=AppointmentStatus.SCHEDULED,
            **kw,
        )

    update(SUNDAY, dt.time(9), notes="trocou o convênio")  # same booking: no question
    with pytest.raises(AppointmentNeedsConfirmation):
        update(SUNDAY, dt.time(10))
    update(TUESDAY, dt.time(10))  # into the hours: fine
    appointment.refresh_from_db()
    assert appointment.starts_at == local_datetime(TUESDAY, dt.time(10))


def _post(client, url, data):
    base = {"status": "scheduled", "notes": ""}
    return client.post(url, {**base, **data})


def test_form_warns_then_saves_after_agendar_mesmo_assim(tenant, owner_client, prof):
    patient = make_patient(tenant, "Lívia Campos")
    url = reverse("agenda:appointment_create")
    data = {
        "professional": prof.pk,
        "patient": patient.pk,
        "date": "2026-03-10",
        "start_time": "21:00",
        "end_time": "21:50",
        "next": f"/agenda/profissionais/{prof.pk}/semana/",
    }
    resp = _post(owner_client, url, data)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "Fora do horário de atendimento de Dra. Helena Prado" in html
    assert "Agendar mesmo assim" in html
    assert not Appointment.objects.exists()
    token = resp.context["form"].booking_token

    # A confirmation for another time is not a confirmation of this one.
    resp = _post(
        owner_client,
        url,
        {**data, "start_time": "22:00", "end_time": "22:50", "confirm_warnings": token},
    )
    assert resp.status_code == 200 and not Appointment.objects.exists()

    resp = _post(owner_client, url, {**data, "confirm_warnings": token})
    assert resp.status_code == 302
    appointment = Appointment.objects.get()
    # The week of the booking, not the current one, scrolled to the card.
    assert resp["Location"] == (
        f"/agenda/profissionais/{prof.pk}/semana/?semana=2026-03-10#appt-{appointment.pk}"
    )


def test_after_saving_the_day_view_shows_the_booking_day(tenant, owner_client, prof):
    patient = make_patient(tenant)
    resp = _post(
        owner_client,
        reverse("agenda:appointment_create"),
        {
            "professional": prof.pk,
            "patient": patient.pk,
            "date": "2026-03-12",
            "start_time": "09:00",
            "end_time": "09:50",
            "next": "/agenda/?data=2026-03-01",
        },
    )
    appointment = Appointment.objects.get()
    assert resp["Location"] == f"/agenda/?data=2026-03-12#appt-{appointment.pk}"
    page = owner_client.get(resp["Location"])
    assert "Consulta agendada para 12/03/2026 às 09:00." in page.content.decode()
    assert f'id="appt-{appointment.pk}"' in page.content.decode()


def test_required_fields_share_one_wording_and_the_select_is_pt_br(tenant, owner_client, prof):
    resp = owner_client.get(reverse("agenda:appointment_create"))
    assert "Selecione o profissional" in resp.content.decode()
    assert "Select an option" not in resp.content.decode()
    resp = owner_client.post(reverse("agenda:appointment_create"), {})
    errors = resp.context["form"].errors
    assert resp.status_code == 400
    assert {m for messages in errors.values() for m in messages} == {"Este campo é obrigatório."}
    assert set(errors) == {"professional", "patient", "date", "start_time", "end_time", "status"}
