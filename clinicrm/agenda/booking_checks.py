"""Soft checks of a booking: what the person booking must confirm ("Agendar mesmo assim")
rather than what the agenda refuses.

Hard rules (an interval that ends before it starts, the same professional booked twice at once)
are errors in `services.appointments`. These are legitimate but unusual bookings that were
silently saved before: outside the professional's weekly availability (a day "Sem atendimento",
or past the hours of the day), on a national or the clinic's state holiday (`core.holidays`),
or the same patient booked with someone else at an overlapping time. A professional with no
active availability rule at all has no hours to compare with: only the other checks apply.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from clinicrm.agenda.models import Appointment, AppointmentStatus, AvailabilityRule, Weekday
from clinicrm.core.holidays import holiday_name
from clinicrm.core.models import Tenant
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.people.models import Patient, Professional


@dataclass(frozen=True)
class BookingWarning:
    code: str  # outside_availability | day_off | holiday | patient_overlap
    message: str  # pt-BR


def _merged(rules: list[AvailabilityRule]) -> list[tuple[dt.time, dt.time]]:
    """The day's rules as disjoint intervals (08-12 and 12-14 cover 08-14)."""
    merged: list[tuple[dt.time, dt.time]] = []
    for rule in sorted(rules, key=lambda r: r.start_time):
        if merged and rule.start_time <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], rule.end_time))
        else:
            merged.append((rule.start_time, rule.end_time))
    return merged


def _availability_warning(
    *, professional: Professional, start: dt.datetime, end: dt.datetime
) -> BookingWarning | None:
    rules = list(AvailabilityRule.objects.filter(professional=professional, is_active=True))
    if not rules:
        return None
    weekday = start.weekday()
    day_rules = [r for r in rules if r.weekday == weekday]
    label = Weekday(weekday).label
    if not day_rules:
        return BookingWarning(
            "day_off", f"{label} é dia sem atendimento de {professional.full_name}."
        )
    intervals = _merged(day_rules)
    # A booking past midnight is outside any rule (rules live within one day).
    if end.date() == start.date() and any(
        a <= start.time() and end.time() <= b for a, b in intervals
    ):
        return None
    hours = ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in intervals)
    return BookingWarning(
        "outside_availability",
        f"Fora do horário de atendimento de {professional.full_name} ({label}: {hours}).",
    )


def _patient_overlap_warning(
    *,
    tenant: Tenant,
    patient: Patient,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    exclude_id: int | None,
) -> BookingWarning | None:
    other = (
        Appointment.objects.filter(
            Q(starts_at__lt=ends_at) & Q(ends_at__gt=starts_at),
            tenant=tenant,
            patient=patient,
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .exclude(pk=exclude_id or 0)
        .select_related("professional")
        .order_by("starts_at")
        .first()
    )
    if other is None:
        return None
    start = other.starts_at.astimezone(SAO_PAULO)
    end = other.ends_at.astimezone(SAO_PAULO)
    return BookingWarning(
        "patient_overlap",
        f"{patient.full_name} já tem consulta com {other.professional.full_name} "
        f"em {start:%d/%m/%Y} das {start:%H:%M} às {end:%H:%M}.",
    )


def appointment_warnings(
    *,
    tenant: Tenant,
    professional: Professional,
    patient: Patient,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    exclude_id: int | None = None,
) -> list[BookingWarning]:
    """What is unusual about booking `patient` with `professional` in [starts_at, ends_at)."""
    start = starts_at.astimezone(SAO_PAULO)
    end = ends_at.astimezone(SAO_PAULO)
    found = [
        _availability_warning(professional=professional, start=start, end=end),
    ]
    holiday = holiday_name(day=start.date(), state=tenant.state)
    if holiday:
        found.append(BookingWarning("holiday", f"{start:%d/%m/%Y} é feriado ({holiday})."))
    found.append(
        _patient_overlap_warning(
            tenant=tenant,
            patient=patient,
            starts_at=starts_at,
            ends_at=ends_at,
            exclude_id=exclude_id,
        )
    )
    return [w for w in found if w is not None]
