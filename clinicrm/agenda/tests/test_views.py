import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from clinicrm.agenda.models import Appointment, AppointmentStatus, AvailabilityRule
from clinicrm.agenda.tests.factories import (
    make_appointment,
    make_patient,
    make_professional,
    make_rule,
)
from clinicrm.core.models import AuditLog, Role

pytestmark = pytest.mark.django_db

TUESDAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC)  # 13:00 in São Paulo
HTMX = {"HTTP_HX_REQUEST": "true"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pro_setup(tenant, member_factory):
    """A professional member linked to their Professional row, plus a colleague."""
    user = member_factory(Role.PROFESSIONAL)
    own = make_professional(tenant, "Dra. Própria", user=user)
    colleague = make_professional(tenant, "Dr. Colega")
    return _client(user), own, colleague


@time_machine.travel(NOW, tick=False)
def test_day_view_groups_by_professional_and_shows_local_times(tenant, owner_client):
    prof_a = make_professional(tenant, "Ana Terapeuta")
    prof_b = make_professional(tenant, "Bruno Terapeuta")
    make_rule(tenant, professional=prof_a, weekday=1, start=dt.time(8), end=dt.time(12))
    make_appointment(
        tenant, professional=prof_a, patient=make_patient(tenant, "Carla Paciente"), day=TUESDAY
    )
    resp = owner_client.get(reverse("agenda:day"), {"data": "2026-03-10"})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "Ana Terapeuta" in html and "Bruno Terapeuta" in html
    assert "Carla Paciente" in html
    assert "09:00–09:50" in html  # stored as 12:00 UTC, shown in São Paulo time
    assert "status-scheduled" in html and "Agendada" in html
    assert "?data=2026-03-09" in html and "?data=2026-03-11" in html
    assert [c.professional for c in resp.context["columns"]] == [prof_a, prof_b]


def test_day_view_empty_state_and_bad_date(tenant, owner_client):
    resp = owner_client.get(reverse("agenda:day"), {"data": "31/02/2026"})
    assert resp.status_code == 200
    assert "Nenhum profissional ativo" in resp.content.decode()


def test_week_view_renders_seven_days(tenant, owner_client):
    prof = make_professional(tenant)
    make_appointment(tenant, professional=prof, day=TUESDAY, start=dt.time(22, 30))
    resp = owner_client.get(reverse("agenda:week", args=[prof.pk]), {"semana": "2026-03-12"})
    assert resp.status_code == 200
    assert resp.context["week_start"] == dt.date(2026, 3, 9)
    columns = resp.context["columns"]
    assert len(columns) == 7 and len(columns[1].appointments) == 1
    assert "22:30–23:20" in resp.content.decode()


def test_my_week_without_professional_row_is_friendly(tenant, member_factory):
    client = _client(member_factory(Role.PROFESSIONAL))
    resp = client.get(reverse("agenda:my_week"))
    assert resp.status_code == 404
    assert "não está ligada a um profissional" in resp.content.decode()


def test_professional_member_sees_only_own_agenda(tenant, pro_setup):
    client, own, colleague = pro_setup
    make_appointment(tenant, professional=colleague, day=TUESDAY)
    resp = client.get(reverse("agenda:day"), {"data": "2026-03-10"})
    assert [c.professional for c in resp.context["columns"]] == [own]
    assert client.get(reverse("agenda:my_week")).context["professional"] == own
    assert client.get(reverse("agenda:week", args=[colleague.pk])).status_code == 403
    assert client.get(reverse("agenda:rules", args=[colleague.pk])).status_code == 403
    appt = Appointment.objects.get()
    resp = client.post(
        reverse("agenda:appointment_status", args=[appt.pk]), {"status": "cancelled"}, **HTMX
    )
    # A colleague's appointment with a patient they do not attend is out of sight (least
    # privilege, on by default): 404, as for another clinic's.
    assert resp.status_code == 404
    assert Appointment.objects.get().status == AppointmentStatus.SCHEDULED


def test_professional_member_cannot_book_for_a_colleague(tenant, pro_setup):
    client, own, colleague = pro_setup
    patient = make_patient(tenant)
    data = {
        "professional": colleague.pk,
        "patient": patient.pk,
        "date": "2026-03-10",
        "start_time": "09:00",
        "end_time": "09:50",
        "status": "scheduled",
    }
    resp = client.post(reverse("agenda:appointment_create"), data)
    assert resp.status_code == 400
    assert "Escolha um profissional da lista." in resp.content.decode()
    assert not Appointment.objects.exists()
    data["professional"] = own.pk
    resp = client.post(reverse("agenda:appointment_create"), data)
    assert resp.status_code == 302
    assert Appointment.objects.get().professional == own


def test_secretary_manages_everyone(tenant, member_factory):
    client = _client(member_factory(Role.SECRETARY))
    prof = make_professional(tenant)
    assert client.get(reverse("agenda:week", args=[prof.pk])).status_code == 200
    assert client.get(reverse("agenda:rules", args=[prof.pk])).status_code == 200


def test_create_form_prefills_from_query(tenant, owner_client):
    prof = make_professional(tenant, session_minutes=45)
    resp = owner_client.get(
        reverse("agenda:appointment_create"),
        {"profissional": prof.pk, "data": "2026-03-10", "inicio": "14:00"},
    )
    form = resp.context["form"]
    assert form.initial["professional"] == prof.pk
    assert form.initial["date"] == TUESDAY
    assert form.initial["start_time"] == "14:00" and form.initial["end_time"] == "14:45"


def test_create_converts_local_time_to_utc(tenant, owner, owner_client):
    prof, patient = make_professional(tenant), make_patient(tenant)
    resp = owner_client.post(
        reverse("agenda:appointment_create"),
        {
            "professional": prof.pk,
            "patient": patient.pk,
            "date": "2026-03-10",
            "start_time": "21:30",
            "end_time": "22:20",
            "status": "scheduled",
            "notes": "",
        },
    )
    assert resp.status_code == 302
    appt = Appointment.objects.get()
    assert resp["Location"] == f"/agenda/?data=2026-03-10#appt-{appt.pk}"
    assert appt.starts_at == dt.datetime(2026, 3, 11, 0, 30, tzinfo=dt.UTC)
    assert appt.created_by == owner


def test_end_before_start_answers_400_in_pt_br_and_saves_nothing(tenant, owner_client):
    prof, patient = make_professional(tenant), make_patient(tenant)
    resp = owner_client.post(
        reverse("agenda:appointment_create"),
        {
            "professional": prof.pk,
            "patient": patient.pk,
            "date": "2026-03-10",
            "start_time": "10:00",
            "end_time": "09:00",
            "status": "scheduled",
        },
    )
    assert resp.status_code == 400
    assert "O término deve ser depois do início." in resp.content.decode()
    assert resp.context["form"].errors["end_time"] == ["O término deve ser depois do início."]
    assert not Appointment.objects.exists()


def test_overlap_answers_400_with_the_service_message(tenant, owner_client):
    prof, patient = make_professional(tenant), make_patient(tenant)
    make_appointment(tenant, professional=prof, day=TUESDAY)
    resp = owner_client.post(
        reverse("agenda:appointment_create"),
        {
            "professional": prof.pk,
            "patient": patient.pk,
            "date": "2026-03-10",
            "start_time": "09:30",
            "end_time": "10:00",
            "status": "scheduled",
        },
    )
    assert resp.status_code == 400
    assert "conflita com outra consulta" in resp.context["form"].errors["start_time"][0]
    assert Appointment.objects.count() == 1


def test_other_tenant_patient_is_refused_by_the_form(tenant, other_tenant, owner_client):
    prof, foreign = make_professional(tenant), make_patient(other_tenant)
    resp = owner_client.post(
        reverse("agenda:appointment_create"),
        {
            "professional": prof.pk,
            "patient": foreign.pk,
            "date": "2026-03-10",
            "start_time": "09:00",
            "end_time": "09:50",
            "status": "scheduled",
        },
    )
    assert resp.status_code == 400
    assert resp.context["form"].errors["patient"] == ["Escolha um paciente da lista."]
    assert not Appointment.objects.exists()


def test_edit_updates_and_keeps_local_time(tenant, owner_client):
    appt = make_appointment(tenant, day=TUESDAY)
    url = reverse("agenda:appointment_edit", args=[appt.pk])
    form = owner_client.get(url).context["form"]
    assert form.initial["start_time"] == "09:00" and form.initial["date"] == TUESDAY
    resp = owner_client.post(
        url,
        {
            "professional": appt.professional_id,
            "patient": appt.patient_id,
            "date": "2026-03-11",
            "start_time": "10:00",
            "end_time": "11:00",
            "status": "confirmed",
            "notes": "retorno",
        },
    )
    assert resp.status_code == 302
    appt.refresh_from_db()
    assert appt.starts_at == dt.datetime(2026, 3, 11, 13, 0, tzinfo=dt.UTC)
    assert appt.status == "confirmed" and appt.notes == "retorno"


@time_machine.travel(NOW, tick=False)
def test_htmx_status_change_swaps_the_card(tenant, owner_client):
    appt = make_appointment(tenant, day=TUESDAY)
    url = reverse("agenda:appointment_status", args=[appt.pk])
    resp = owner_client.post(url, {"status": "attended"}, **HTMX)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert html.strip().startswith(f'<article class="appt status-attended" id="appt-{appt.pk}"')
    assert "<html" not in html
    assert Appointment.objects.get().status == "attended"
    # Not allowed from attended: 400 with the pt-BR message inside the card, nothing changed.
    resp = owner_client.post(url, {"status": "cancelled"}, **HTMX)
    assert resp.status_code == 400
    assert "Não é possível mudar a situação" in resp.content.decode()
    assert Appointment.objects.get().status == "attended"


def test_status_change_without_htmx_redirects_back(tenant, owner_client):
    appt = make_appointment(tenant, day=TUESDAY)
    url = reverse("agenda:appointment_status", args=[appt.pk])
    assert owner_client.get(url).status_code == 405
    resp = owner_client.post(
        reverse("agenda:appointment_status", args=[appt.pk]),
        {"status": "cancelled", "next": "/agenda/?data=2026-03-10"},
    )
    assert resp.status_code == 302 and resp["Location"] == "/agenda/?data=2026-03-10"
    assert Appointment.objects.get().status == "cancelled"


def test_other_tenant_ids_answer_404(tenant, other_tenant, owner_client):
    appt = make_appointment(other_tenant)
    rule = make_rule(other_tenant)
    assert owner_client.get(reverse("agenda:appointment_edit", args=[appt.pk])).status_code == 404
    resp = owner_client.post(
        reverse("agenda:appointment_status", args=[appt.pk]), {"status": "cancelled"}
    )
    assert resp.status_code == 404
    assert owner_client.post(reverse("agenda:rule_delete", args=[rule.pk])).status_code == 404
    assert owner_client.get(reverse("agenda:rule_delete", args=[rule.pk])).status_code == 404
    assert owner_client.get(reverse("agenda:appointment_status", args=[appt.pk])).status_code == 404
    assert owner_client.get(reverse("agenda:week", args=[rule.professional_id])).status_code == 404
    assert Appointment.objects.get().status == "scheduled"
    assert AvailabilityRule.objects.count() == 1


def test_patient_search_suggests_active_patients_of_the_tenant(tenant, other_tenant, owner_client):
    make_patient(tenant, "Joana Silva")
    make_patient(tenant, "Joana Arquivada", is_active=False)
    make_patient(other_tenant, "Joana Outra")
    chosen = make_patient(tenant, "Pedro Escolhido")
    resp = owner_client.get(
        reverse("agenda:patient_search"), {"q": "joana", "patient": chosen.pk}, **HTMX
    )
    html = resp.content.decode()
    assert "Joana Silva" in html
    assert "Arquivada" not in html and "Outra" not in html
    assert f'value="{chosen.pk}" checked' in html


def test_rules_page_htmx_add_edit_delete(tenant, owner_client):
    prof = make_professional(tenant)
    url = reverse("agenda:rules", args=[prof.pk])
    assert "Nenhuma regra ainda" in owner_client.get(url).content.decode()
    resp = owner_client.post(
        url,
        {"new-weekday": "0", "new-start_time": "08:00", "new-end_time": "12:00"},
        **HTMX,
    )
    # Field names carry no prefix (auto_id only changes ids): these are missing fields.
    assert resp.status_code == 400
    assert "Este campo é obrigatório." in resp.content.decode()
    assert not AvailabilityRule.objects.exists()
    resp = owner_client.post(
        url, {"weekday": "0", "start_time": "08:00", "end_time": "12:00", "is_active": "on"}, **HTMX
    )
    assert resp.status_code == 200
    assert resp.content.decode().lstrip().startswith('<div id="rules-section"')
    rule = AvailabilityRule.objects.get()
    # Overlap: 400, message, nothing added.
    resp = owner_client.post(
        url, {"weekday": "0", "start_time": "11:00", "end_time": "13:00", "is_active": "on"}, **HTMX
    )
    assert resp.status_code == 400
    assert "sobrepõe" in resp.content.decode()
    assert AvailabilityRule.objects.count() == 1
    # Edit: GET the inline form, POST a bad value (400, row retargeted), then a good one.
    edit_url = reverse("agenda:rule_edit", args=[rule.pk])
    assert f'id="rule-{rule.pk}"' in owner_client.get(edit_url, **HTMX).content.decode()
    resp = owner_client.post(
        edit_url, {"weekday": "0", "start_time": "12:00", "end_time": "08:00"}, **HTMX
    )
    assert resp.status_code == 400 and resp["HX-Retarget"] == f"#rule-{rule.pk}"
    assert "O término deve ser depois do início." in resp.content.decode()
    rule.refresh_from_db()
    assert rule.end_time == dt.time(12)
    resp = owner_client.post(
        edit_url, {"weekday": "2", "start_time": "09:00", "end_time": "17:00"}, **HTMX
    )
    assert resp.status_code == 200
    rule.refresh_from_db()
    assert (rule.weekday, rule.start_time, rule.is_active) == (2, dt.time(9), False)
    resp = owner_client.post(reverse("agenda:rule_delete", args=[rule.pk]), **HTMX)
    assert resp.status_code == 200 and "Nenhuma regra ainda" in resp.content.decode()
    assert not AvailabilityRule.objects.exists()
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"availability_rule.create", "availability_rule.update"} <= actions
    assert "availability_rule.delete" in actions


def test_isolation_factories_make_rows_of_the_given_tenant(other_tenant, owner_client):
    from clinicrm.agenda.tests.isolation import FACTORIES

    appt_id = FACTORIES["appointment_id"](other_tenant)
    rule_id = FACTORIES["rule_id"](other_tenant)
    assert Appointment.objects.get(pk=int(appt_id)).tenant == other_tenant
    assert AvailabilityRule.objects.get(pk=int(rule_id)).tenant == other_tenant
    assert owner_client.get(reverse("agenda:rule_edit", args=[rule_id])).status_code == 404
