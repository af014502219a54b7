import datetime as dt

import pytest
import time_machine

from clinicrm.agenda.models import Appointment
from clinicrm.agenda.tests.factories import make_appointment
from clinicrm.core.models import AuditLog, Role
from clinicrm.core.timeutils import local_datetime
from clinicrm.people.models import Patient, Professional

pytestmark = pytest.mark.django_db

DAY = "2030-03-12"  # a Tuesday, safely in the future


@pytest.fixture
def people(tenant):
    return (
        Professional.objects.create(tenant=tenant, full_name="Dra. Ana"),
        Patient.objects.create(tenant=tenant, full_name="Paulo"),
    )


def _body(prof, patient, **extra):
    return {
        "professional_id": prof.pk,
        "patient_id": patient.pk,
        "date": DAY,
        "start": "09:00",
        "end": "09:50",
        **extra,
    }


def _state():
    return (
        list(Appointment.objects.order_by("pk").values_list("pk", "updated_at", "status")),
        AuditLog.objects.count(),
    )


def test_create_retrieve_update_and_status(api, people):
    prof, patient = people
    created = api.post("appointments", _body(prof, patient, notes="primeira"))
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["date"], data["start"], data["end"]) == (DAY, "09:00:00", "09:50:00")
    # 09:00 in São Paulo is 12:00 UTC.
    appt = Appointment.objects.get(pk=data["id"])
    assert appt.starts_at == local_datetime(dt.date(2030, 3, 12), dt.time(9, 0))
    assert api.get(f"appointments/{appt.pk}").json()["patient_name"] == "Paulo"

    moved = api.patch(f"appointments/{appt.pk}", {"start": "10:00", "end": "10:50"})
    assert moved.status_code == 200, moved.content
    assert moved.json()["start"] == "10:00:00" and moved.json()["date"] == DAY

    confirmed = api.post(f"appointments/{appt.pk}/status", {"status": "confirmed"})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert AuditLog.objects.filter(action="appointment.status_change").count() == 1


def test_list_by_range_and_professional(api, tenant, people):
    prof, patient = people
    other = Professional.objects.create(tenant=tenant, full_name="Dr. Beto")
    make_appointment(tenant, professional=prof, patient=patient, day=dt.date(2030, 3, 12))
    make_appointment(tenant, professional=other, patient=patient, day=dt.date(2030, 3, 13))
    make_appointment(tenant, professional=prof, patient=patient, day=dt.date(2030, 4, 20))
    week = api.get("appointments", start="2030-03-10", end="2030-03-16").json()
    assert week["count"] == 2
    mine = api.get(
        "appointments", start="2030-03-10", end="2030-03-16", professional_id=prof.pk
    ).json()
    assert [a["professional_id"] for a in mine["items"]] == [prof.pk]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"end": "08:00"}, "end"),  # ends before it starts
        ({"date": "12/03/2030"}, "date"),
        ({"start": "25:00"}, "start"),
        ({"status": "perdida"}, "status"),
        ({"patient_id": "abc"}, "patient_id"),
    ],
)
def test_create_bad_input_is_400_and_creates_nothing(api, people, override, field):
    prof, patient = people
    before = _state()
    response = api.post("appointments", _body(prof, patient, **override))
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert _state() == before


def test_overlap_is_refused(api, people):
    prof, patient = people
    assert api.post("appointments", _body(prof, patient)).status_code == 201
    before = _state()
    clash = api.post("appointments", _body(prof, patient, start="09:30", end="10:20"))
    assert clash.status_code == 400 and clash.json()["field"] == "start"
    assert _state() == before


def test_update_bad_input_changes_nothing(api, tenant, people):
    prof, patient = people
    appt = make_appointment(tenant, professional=prof, patient=patient, day=dt.date(2030, 3, 12))
    before = _state()
    bad = api.patch(f"appointments/{appt.pk}", {"end": "08:00"})
    assert bad.status_code == 400 and bad.json()["field"] == "end"
    bad_status = api.post(f"appointments/{appt.pk}/status", {"status": "attended"})
    assert bad_status.status_code == 400 and bad_status.json()["field"] == "status"
    assert _state() == before


def test_range_is_validated(api):
    response = api.get("appointments", start="2030-03-10", end="2030-03-01")
    assert response.status_code == 400 and response.json()["field"] == "end"


def test_other_tenant_references_are_refused(api, people, other_tenant):
    prof, _patient = people
    foreign_patient = Patient.objects.create(tenant=other_tenant, full_name="Outra")
    before = _state()
    response = api.post("appointments", _body(prof, foreign_patient))
    assert response.status_code in (400, 404)
    assert response.json()["field"] == "patient_id"
    assert _state() == before


def test_professional_member_only_manages_own_agenda(make_api_client, tenant, member_factory):
    user = member_factory(Role.PROFESSIONAL)
    own = Professional.objects.create(tenant=tenant, full_name="Eu", user=user)
    other = Professional.objects.create(tenant=tenant, full_name="Outro")
    patient = Patient.objects.create(tenant=tenant, full_name="Paulo")
    mine = make_appointment(tenant, professional=own, patient=patient, day=dt.date(2030, 3, 12))
    theirs = make_appointment(tenant, professional=other, patient=patient, day=dt.date(2030, 3, 12))
    client = make_api_client(user, tenant)
    listed = client.get("appointments", start="2030-03-10", end="2030-03-16").json()
    assert [a["id"] for a in listed["items"]] == [mine.pk]
    assert client.get(f"appointments/{theirs.pk}").status_code == 403
    before = _state()
    assert (
        client.post(f"appointments/{theirs.pk}/status", {"status": "cancelled"}).status_code == 403
    )
    assert (
        client.post("appointments", _body(other, patient, start="14:00", end="14:50")).status_code
        == 403
    )
    assert client.patch(f"appointments/{mine.pk}", {"professional_id": other.pk}).status_code == 403
    assert _state() == before
    assert (
        client.post("appointments", _body(own, patient, start="14:00", end="14:50")).status_code
        == 201
    )


def test_attendance_after_start(api, tenant, people):
    prof, patient = people
    appt = make_appointment(tenant, professional=prof, patient=patient, day=dt.date(2030, 3, 12))
    with time_machine.travel(dt.datetime(2030, 3, 12, 13, 0, tzinfo=dt.UTC)):
        response = api.post(f"appointments/{appt.pk}/status", {"status": "attended"})
    assert response.status_code == 200 and response.json()["status"] == "attended"


def test_unusual_booking_needs_confirm_warnings(api, tenant, people):
    prof, patient = people
    tenant.state = "SP"
    tenant.save(update_fields=["state"])
    holiday = {"date": "2030-07-09"}  # São Paulo's state holiday
    refused = api.post("appointments", _body(prof, patient, **holiday))
    assert refused.status_code == 400
    assert refused.json()["field"] == "confirm_warnings"
    assert "feriado (Revolução Constitucionalista)" in refused.json()["detail"]
    assert not Appointment.objects.exists()
    created = api.post("appointments", _body(prof, patient, confirm_warnings=True, **holiday))
    assert created.status_code == 201, created.content
