import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from clinicrm.agenda.models import AppointmentStatus as S
from clinicrm.agenda.tests.factories import (
    make_appointment,
    make_patient,
    make_professional,
    make_rule,
)
from clinicrm.core.models import Role
from clinicrm.dashboard.selectors import dashboard_kpis

pytestmark = pytest.mark.django_db

# Tuesday 10 March 2026, 13:00 in São Paulo.
NOW = dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def clinic(tenant, other_tenant):
    ana = make_professional(tenant, "Ana", session_minutes=60)
    bia = make_professional(tenant, "Bia", session_minutes=60)
    pats = [make_patient(tenant, f"P{i}") for i in range(4)]
    make_patient(tenant, "Arquivado", is_active=False)
    make_rule(tenant, professional=ana, weekday=1, start=dt.time(8), end=dt.time(18))
    make_rule(tenant, professional=bia, weekday=1, start=dt.time(14), end=dt.time(16))
    # This month: 2 attended, 1 no-show, 1 cancelled, 2 scheduled (one today after now).
    make_appointment(
        tenant, professional=ana, patient=pats[0], day=dt.date(2026, 3, 2), status=S.ATTENDED
    )
    make_appointment(
        tenant, professional=ana, patient=pats[1], day=dt.date(2026, 3, 3), status=S.ATTENDED
    )
    make_appointment(
        tenant, professional=bia, patient=pats[2], day=dt.date(2026, 3, 4), status=S.NO_SHOW
    )
    make_appointment(
        tenant, professional=bia, patient=pats[3], day=TODAY, start=dt.time(9), status=S.CANCELLED
    )
    make_appointment(
        tenant, professional=ana, patient=pats[0], day=TODAY, start=dt.time(15), minutes=60
    )
    # Local 31 March 22:00 is 1 April 01:00 UTC: still March in São Paulo.
    make_appointment(
        tenant, professional=bia, patient=pats[1], day=dt.date(2026, 3, 31), start=dt.time(22)
    )
    # Outside the month (local 28 Feb 23:00 = 1 March 02:00 UTC) and another tenant.
    make_appointment(
        tenant,
        professional=ana,
        patient=pats[2],
        day=dt.date(2026, 2, 28),
        start=dt.time(23),
        status=S.ATTENDED,
    )
    make_appointment(other_tenant, day=TODAY, status=S.NO_SHOW)
    make_patient(other_tenant)
    return ana, bia


@time_machine.travel(NOW, tick=False)
def test_kpis_for_the_clinic(tenant, clinic, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        kpis = dashboard_kpis(tenant=tenant, today=TODAY)
    assert kpis.active_patients == 4
    assert kpis.month_appointments == 5  # cancelled ones do not count
    assert (kpis.month_attended, kpis.month_no_show) == (2, 1)
    assert kpis.attendance_rate_pct == 67 and kpis.no_show_rate_pct == 33
    assert len(kpis.today_appointments) == 2
    # After 13:00: Ana 13-15 (2 slots) and 16-18 (2), Bia 14-16 (2) -> 6.
    starts = sorted((p.full_name, s.starts_at.hour) for p, s in kpis.free_slots_today)
    assert starts == [("Ana", 13), ("Ana", 14), ("Ana", 16), ("Ana", 17), ("Bia", 14), ("Bia", 15)]


@time_machine.travel(NOW, tick=False)
def test_kpis_for_one_professional(tenant, clinic):
    ana, _ = clinic
    kpis = dashboard_kpis(tenant=tenant, today=TODAY, professional=ana)
    assert kpis.active_patients == 3  # P0, P1 and P2 (P2 seen in February)
    assert kpis.month_appointments == 3
    assert (kpis.month_attended, kpis.month_no_show) == (2, 0)
    assert kpis.attendance_rate_pct == 100
    assert {p.full_name for p, _ in kpis.free_slots_today} == {"Ana"}


@time_machine.travel(NOW, tick=False)
def test_no_outcome_yet_gives_no_rate(tenant):
    kpis = dashboard_kpis(tenant=tenant, today=TODAY)
    assert kpis.attendance_rate is None and kpis.month_appointments == 0


@time_machine.travel(NOW, tick=False)
def test_dashboard_page_shows_numbers_and_slots(tenant, clinic, owner_client):
    resp = owner_client.get(reverse("dashboard:home"))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert resp.context["kpis"].active_patients == 4
    assert "67%" in html and "Consultas de hoje" in html
    assert 'id="kpi-slot-messages"' in html and "Mensagens recebidas/enviadas" in html
    assert 'id="kpi-slot-credits"' in html and "Saldo de créditos WhatsApp" in html


@time_machine.travel(NOW, tick=False)
def test_professional_member_sees_own_numbers(tenant, clinic, member_factory):
    ana, _ = clinic
    user = member_factory(Role.PROFESSIONAL)
    ana.user = user
    ana.save()
    client = Client()
    client.force_login(user)
    resp = client.get(reverse("dashboard:home"))
    assert resp.context["kpis"].month_appointments == 3
    lonely = member_factory(Role.PROFESSIONAL, email="sem-cadastro@alfa.test")
    client.force_login(lonely)
    resp = client.get(reverse("dashboard:home"))
    assert resp.status_code == 200 and "kpis" not in resp.context
    assert "não está ligada a um profissional" in resp.content.decode()
