import datetime as dt

import pytest

from clinicrm.agenda import selectors
from clinicrm.agenda.models import AppointmentStatus
from clinicrm.agenda.tests.factories import make_appointment, make_professional, make_rule
from clinicrm.core.timeutils import SAO_PAULO, local_datetime

pytestmark = pytest.mark.django_db

TUESDAY = dt.date(2026, 3, 10)


def _times(slots):
    return [s.starts_at.astimezone(SAO_PAULO).strftime("%H:%M") for s in slots]


def test_free_slots_are_rules_minus_appointments(tenant):
    prof = make_professional(tenant, session_minutes=60)
    make_rule(tenant, professional=prof, weekday=1, start=dt.time(8), end=dt.time(12))
    make_rule(tenant, professional=prof, weekday=1, start=dt.time(14), end=dt.time(16, 30))
    make_rule(tenant, professional=prof, weekday=2, start=dt.time(8), end=dt.time(18))
    make_appointment(tenant, professional=prof, day=TUESDAY, start=dt.time(9), minutes=30)
    make_appointment(
        tenant,
        professional=prof,
        day=TUESDAY,
        start=dt.time(14),
        minutes=60,
        status=AppointmentStatus.CANCELLED,
    )
    slots = selectors.free_slots_for_day(tenant=tenant, professional=prof, day=TUESDAY)
    # 09:00-09:30 busy: 08:00 fits, then the next hour starts right after the appointment.
    assert _times(slots) == ["08:00", "09:30", "10:30", "14:00", "15:00"]
    assert all(s.minutes == 60 for s in slots)


def test_free_slots_not_before_keeps_the_rule_grid(tenant):
    prof = make_professional(tenant, session_minutes=50)
    make_rule(tenant, professional=prof, weekday=1, start=dt.time(8), end=dt.time(12))
    now = local_datetime(TUESDAY, dt.time(9, 5))
    slots = selectors.free_slots_for_day(
        tenant=tenant, professional=prof, day=TUESDAY, not_before=now
    )
    assert _times(slots) == ["09:40", "10:30"]


def test_no_rule_means_no_slot(tenant):
    prof = make_professional(tenant)
    assert selectors.free_slots_for_day(tenant=tenant, professional=prof, day=TUESDAY) == []


def test_day_bounds_are_sao_paulo_midnights_in_utc():
    start, end = selectors.day_bounds(TUESDAY)
    assert start.astimezone(dt.UTC) == dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC)
    assert end - start == dt.timedelta(days=1)


def test_late_evening_appointment_belongs_to_the_local_day(tenant):
    prof = make_professional(tenant)
    # 22:30 in São Paulo is 01:30 UTC of the next day: it must show on the 10th, not the 11th.
    appt = make_appointment(tenant, professional=prof, day=TUESDAY, start=dt.time(22, 30))
    assert appt.starts_at.astimezone(dt.UTC).date() == dt.date(2026, 3, 11)
    day = selectors.agenda_day(tenant=tenant, day=TUESDAY, professionals=[prof])
    assert [a.pk for a in day[0].appointments] == [appt.pk]
    nxt = selectors.agenda_day(
        tenant=tenant, day=TUESDAY + dt.timedelta(days=1), professionals=[prof]
    )
    assert nxt[0].appointments == []
    week = selectors.agenda_week(tenant=tenant, professional=prof, start=TUESDAY, today=TUESDAY)
    assert week[0].day == dt.date(2026, 3, 9)  # Monday
    assert [a.pk for a in week[1].appointments] == [appt.pk]
    assert week[1].is_today and not week[2].is_today


def test_week_and_day_ignore_other_tenants(tenant, other_tenant):
    prof = make_professional(tenant)
    make_appointment(other_tenant, day=TUESDAY)
    make_rule(other_tenant, weekday=1)
    day = selectors.agenda_day(tenant=tenant, day=TUESDAY, professionals=[prof])
    assert day[0].appointments == [] and day[0].blocks == []


def test_day_view_query_count_is_constant(tenant, django_assert_max_num_queries):
    profs = [make_professional(tenant) for _ in range(5)]
    for i, prof in enumerate(profs):
        make_rule(tenant, professional=prof, weekday=1)
        make_appointment(tenant, professional=prof, day=TUESDAY, start=dt.time(8 + i))
    with django_assert_max_num_queries(2):
        selectors.agenda_day(tenant=tenant, day=TUESDAY, professionals=profs)
