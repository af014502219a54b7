import datetime as dt

import pytest
import time_machine

from clinicrm.agenda import services
from clinicrm.agenda.models import Appointment, AppointmentStatus, AvailabilityRule
from clinicrm.agenda.tests.factories import (
    make_appointment,
    make_patient,
    make_professional,
)
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import AuditLog
from clinicrm.core.timeutils import local_datetime

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)
S = AppointmentStatus


def _create(tenant, owner, professional, patient, start=dt.time(9), end=dt.time(9, 50), **kw):
    return services.appointment_create(
        tenant=tenant,
        actor=owner,
        professional_id=professional.pk,
        patient_id=patient.pk,
        starts_at=local_datetime(DAY, start),
        ends_at=local_datetime(DAY, end),
        **kw,
    )


def test_create_stores_utc_and_audits_field_names_only(tenant, owner):
    prof, pat = make_professional(tenant), make_patient(tenant, "Maria Sigilosa")
    appt = _create(tenant, owner, prof, pat, notes="  dor de cabeça  ")
    appt.refresh_from_db()
    # 09:00 in São Paulo (UTC-3, no DST since 2019) is 12:00 UTC.
    assert appt.starts_at == dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
    assert appt.notes == "dor de cabeça"
    assert appt.created_by == owner
    log = AuditLog.objects.get(action="appointment.create")
    assert log.object_id == str(appt.pk)
    assert "Maria" not in str(log.details) and "cabeça" not in str(log.details)
    assert set(log.details["fields"]) >= {"patient", "starts_at"}


def test_end_before_start_is_rejected_in_pt_br_and_saves_nothing(tenant, owner):
    prof, pat = make_professional(tenant), make_patient(tenant)
    with pytest.raises(ApplicationError) as exc:
        _create(tenant, owner, prof, pat, start=dt.time(10), end=dt.time(9))
    assert exc.value.message == "O término deve ser depois do início."
    assert exc.value.field == "ends_at"
    assert not Appointment.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="appointment").exists()


def test_overlap_with_same_professional_is_rejected(tenant, owner):
    prof, pat = make_professional(tenant), make_patient(tenant)
    _create(tenant, owner, prof, pat)
    with pytest.raises(ApplicationError) as exc:
        _create(tenant, owner, prof, make_patient(tenant), start=dt.time(9, 30), end=dt.time(10))
    assert "conflita" in exc.value.message and "10/03/2026 09:00" in exc.value.message
    assert Appointment.objects.count() == 1


def test_back_to_back_and_other_professional_and_cancelled_do_not_clash(tenant, owner):
    prof, pat = make_professional(tenant), make_patient(tenant)
    first = _create(tenant, owner, prof, pat)
    _create(tenant, owner, prof, pat, start=dt.time(9, 50), end=dt.time(10, 40))
    # The same patient with someone else at the same time is allowed once confirmed.
    with pytest.raises(services.AppointmentNeedsConfirmation):
        _create(tenant, owner, make_professional(tenant), pat)
    _create(tenant, owner, make_professional(tenant), pat, warnings_confirmed=True)
    services.appointment_cancel(appointment=first, actor=owner)
    _create(tenant, owner, prof, make_patient(tenant), start=dt.time(9), end=dt.time(9, 30))
    assert Appointment.objects.exclude(status=S.CANCELLED).count() == 3


def test_cross_tenant_patient_or_professional_is_not_found(tenant, other_tenant, owner):
    prof, pat = make_professional(tenant), make_patient(tenant)
    foreign_pat, foreign_prof = make_patient(other_tenant), make_professional(other_tenant)
    with pytest.raises(services.NotFoundError) as exc:
        _create(tenant, owner, prof, foreign_pat)
    assert exc.value.field == "patient" and exc.value.extra["status"] == 404
    with pytest.raises(services.NotFoundError):
        _create(tenant, owner, foreign_prof, pat)
    assert not Appointment.objects.exists()


def test_inactive_professional_or_patient_is_refused(tenant, owner):
    prof, pat = make_professional(tenant, is_active=False), make_patient(tenant)
    with pytest.raises(ApplicationError, match="inativo"):
        _create(tenant, owner, prof, pat)
    with pytest.raises(ApplicationError, match="arquivado"):
        _create(tenant, owner, make_professional(tenant), make_patient(tenant, is_active=False))
    assert not Appointment.objects.exists()


@time_machine.travel(dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC), tick=False)
def test_status_transitions(tenant, owner):
    appt = make_appointment(tenant, day=DAY, start=dt.time(9))  # 12:00 UTC, already started
    appt = services.appointment_set_status(appointment=appt, actor=owner, status=S.CONFIRMED)
    appt = services.appointment_set_status(appointment=appt, actor=owner, status=S.NO_SHOW)
    appt = services.appointment_set_status(appointment=appt, actor=owner, status=S.ATTENDED)
    assert Appointment.objects.get(pk=appt.pk).status == S.ATTENDED
    with pytest.raises(ApplicationError, match="Compareceu"):
        services.appointment_set_status(appointment=appt, actor=owner, status=S.CANCELLED)
    with pytest.raises(ApplicationError, match="Situação inválida"):
        services.appointment_set_status(appointment=appt, actor=owner, status="bogus")
    assert Appointment.objects.get(pk=appt.pk).status == S.ATTENDED
    changes = AuditLog.objects.filter(action="appointment.status_change")
    assert changes.count() == 3
    assert all(c.details["fields"] == ["status"] for c in changes)


@time_machine.travel(dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC), tick=False)
def test_presence_cannot_be_recorded_before_start(tenant, owner):
    appt = make_appointment(tenant, day=DAY, start=dt.time(9))  # starts 12:00 UTC
    with pytest.raises(ApplicationError, match="depois do início"):
        services.appointment_set_status(appointment=appt, actor=owner, status=S.ATTENDED)
    assert Appointment.objects.get(pk=appt.pk).status == S.SCHEDULED


def test_reopening_a_cancelled_appointment_rechecks_overlap(tenant, owner):
    prof = make_professional(tenant)
    old = make_appointment(tenant, professional=prof, day=DAY, status=S.CANCELLED)
    make_appointment(tenant, professional=prof, day=DAY)
    with pytest.raises(ApplicationError, match="conflita"):
        services.appointment_set_status(appointment=old, actor=owner, status=S.SCHEDULED)
    assert Appointment.objects.get(pk=old.pk).status == S.CANCELLED


def test_update_moves_and_audits_changed_fields(tenant, owner):
    appt = make_appointment(tenant, day=DAY)
    services.appointment_update(
        appointment=appt,
        actor=owner,
        professional_id=appt.professional_id,
        patient_id=appt.patient_id,
        starts_at=local_datetime(DAY, dt.time(14)),
        ends_at=local_datetime(DAY, dt.time(15)),
        status=S.CONFIRMED,
        notes="",
    )
    appt.refresh_from_db()
    assert appt.starts_at == dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)
    log = AuditLog.objects.get(action="appointment.update")
    assert sorted(log.details["fields"]) == ["ends_at", "starts_at", "status"]


def test_update_rejects_end_before_start_and_changes_nothing(tenant, owner):
    appt = make_appointment(tenant, day=DAY)
    before = Appointment.objects.values().get(pk=appt.pk)
    with pytest.raises(ApplicationError, match="O término deve ser depois do início"):
        services.appointment_update(
            appointment=appt,
            actor=owner,
            professional_id=appt.professional_id,
            patient_id=appt.patient_id,
            starts_at=local_datetime(DAY, dt.time(14)),
            ends_at=local_datetime(DAY, dt.time(13)),
            status=S.SCHEDULED,
        )
    assert Appointment.objects.values().get(pk=appt.pk) == before


def test_database_refuses_end_before_start(tenant):
    from django.db import IntegrityError, transaction

    appt = make_appointment(tenant, day=DAY)
    appt.ends_at = appt.starts_at
    with pytest.raises(IntegrityError), transaction.atomic():
        appt.save()


# --- rules ----------------------------------------------------------------------------------


def _rule(tenant, owner, prof, weekday=0, start=dt.time(8), end=dt.time(12), **kw):
    return services.availability_rule_create(
        tenant=tenant,
        actor=owner,
        professional_id=prof.pk,
        weekday=weekday,
        start_time=start,
        end_time=end,
        **kw,
    )


def test_rules_cannot_overlap_on_the_same_weekday(tenant, owner):
    prof = make_professional(tenant)
    _rule(tenant, owner, prof)
    _rule(tenant, owner, prof, start=dt.time(12), end=dt.time(18))  # touching is fine
    _rule(tenant, owner, prof, weekday=1, start=dt.time(9), end=dt.time(10))  # other day
    with pytest.raises(ApplicationError, match="sobrepõe"):
        _rule(tenant, owner, prof, start=dt.time(11), end=dt.time(13))
    _rule(tenant, owner, make_professional(tenant), start=dt.time(11), end=dt.time(13))
    assert AvailabilityRule.objects.count() == 4
    assert AuditLog.objects.filter(action="availability_rule.create").count() == 4


def test_rule_end_before_start_and_cross_tenant(tenant, other_tenant, owner):
    prof = make_professional(tenant)
    with pytest.raises(ApplicationError, match="O término deve ser depois do início"):
        _rule(tenant, owner, prof, start=dt.time(12), end=dt.time(8))
    with pytest.raises(services.NotFoundError):
        _rule(tenant, owner, make_professional(other_tenant))
    assert not AvailabilityRule.objects.exists()


def test_rule_update_and_delete_audit(tenant, owner):
    prof = make_professional(tenant)
    rule = _rule(tenant, owner, prof)
    other = _rule(tenant, owner, prof, start=dt.time(13), end=dt.time(17))
    with pytest.raises(ApplicationError, match="sobrepõe"):
        services.availability_rule_update(
            rule=other,
            actor=owner,
            weekday=0,
            start_time=dt.time(11),
            end_time=dt.time(17),
            is_active=True,
        )
    # An inactive rule does not block.
    services.availability_rule_update(
        rule=other,
        actor=owner,
        weekday=0,
        start_time=dt.time(11),
        end_time=dt.time(17),
        is_active=False,
    )
    log = AuditLog.objects.get(action="availability_rule.update")
    assert sorted(log.details["fields"]) == ["is_active", "start_time"]
    services.availability_rule_delete(rule=rule, actor=owner)
    assert not AvailabilityRule.objects.filter(pk=rule.pk).exists()
    assert AuditLog.objects.filter(action="availability_rule.delete").count() == 1
