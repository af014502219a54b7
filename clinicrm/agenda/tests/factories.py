"""Test helpers: agenda rows created straight with the ORM (people services are not needed)."""

import datetime as dt
from itertools import count

from clinicrm.agenda.models import Appointment, AppointmentStatus, AvailabilityRule
from clinicrm.core.models import Tenant
from clinicrm.core.timeutils import local_datetime
from clinicrm.people.models import Patient, Professional

_seq = count(1)


def make_professional(tenant: Tenant, name: str = "", **extra: object) -> Professional:
    return Professional.objects.create(
        tenant=tenant, full_name=name or f"Dra. Profissional {next(_seq)}", **extra
    )


def make_patient(tenant: Tenant, name: str = "", **extra: object) -> Patient:
    return Patient.objects.create(
        tenant=tenant, full_name=name or f"Paciente {next(_seq)}", **extra
    )


def make_appointment(
    tenant: Tenant,
    *,
    professional: Professional | None = None,
    patient: Patient | None = None,
    day: dt.date = dt.date(2026, 3, 10),
    start: dt.time = dt.time(9, 0),
    minutes: int = 50,
    status: str = AppointmentStatus.SCHEDULED,
) -> Appointment:
    starts_at = local_datetime(day, start)
    return Appointment.objects.create(
        tenant=tenant,
        professional=professional or make_professional(tenant),
        patient=patient or make_patient(tenant),
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
        status=status,
    )


def make_rule(
    tenant: Tenant,
    *,
    professional: Professional | None = None,
    weekday: int = 1,
    start: dt.time = dt.time(8, 0),
    end: dt.time = dt.time(12, 0),
) -> AvailabilityRule:
    return AvailabilityRule.objects.create(
        tenant=tenant,
        professional=professional or make_professional(tenant),
        weekday=weekday,
        start_time=start,
        end_time=end,
    )
