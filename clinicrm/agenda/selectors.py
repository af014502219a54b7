"""Reads of the agenda: day view, week view, free slots. All times returned in São Paulo time.

Each view costs a fixed number of queries whatever the number of professionals or days:
one for the professionals, one for the appointments of the range (index tenant+starts_at or
tenant+professional+starts_at) and one for the rules.
"""

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from clinicrm.agenda.models import Appointment, AppointmentStatus, AvailabilityRule
from clinicrm.core.models import Tenant
from clinicrm.core.timeutils import SAO_PAULO, local_datetime
from clinicrm.people.models import Patient, Professional
from clinicrm.people.selectors import ListFilters, patient_list


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime  # aware, São Paulo
    ends_at: dt.datetime

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


@dataclass
class Block:
    """One availability window of a day, in São Paulo time."""

    start: dt.time
    end: dt.time


@dataclass
class DayColumn:
    day: dt.date
    is_today: bool
    appointments: list[Appointment] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    free_slots: list[Slot] = field(default_factory=list)


@dataclass
class ProfessionalDay:
    professional: Professional
    appointments: list[Appointment] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    free_slots: list[Slot] = field(default_factory=list)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The São Paulo day as an aware [start, end) interval (compared against UTC columns)."""
    start = local_datetime(day, dt.time(0, 0))
    return start, local_datetime(day + dt.timedelta(days=1), dt.time(0, 0))


def week_start(day: dt.date) -> dt.date:
    """Monday of `day`'s week (weeks run Monday to Sunday, like Weekday)."""
    return day - dt.timedelta(days=day.weekday())


def professional_list_for_agenda(*, tenant: Tenant) -> QuerySet[Professional]:
    return Professional.objects.filter(tenant=tenant, is_active=True).order_by("full_name", "id")


def professional_for_user(*, tenant: Tenant, user: Any) -> Professional | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Professional.objects.filter(tenant=tenant, user_id=user.pk).first()


def appointments_between(
    *,
    tenant: Tenant,
    start: dt.datetime,
    end: dt.datetime,
    professional_ids: Iterable[int] | None = None,
) -> QuerySet[Appointment]:
    qs = Appointment.objects.filter(tenant=tenant, starts_at__gte=start, starts_at__lt=end)
    if professional_ids is not None:
        qs = qs.filter(professional_id__in=list(professional_ids))
    return qs.select_related("patient", "professional").order_by("starts_at", "id")


def _rules_by_professional_weekday(
    *, tenant: Tenant, professional_ids: list[int]
) -> dict[tuple[int, int], list[AvailabilityRule]]:
    rules: dict[tuple[int, int], list[AvailabilityRule]] = defaultdict(list)
    qs = AvailabilityRule.objects.filter(
        tenant=tenant, professional_id__in=professional_ids, is_active=True
    ).order_by("start_time")
    for rule in qs:
        rules[(rule.professional_id, rule.weekday)].append(rule)
    return rules


def free_slots_compute(
    *,
    day: dt.date,
    rules: Iterable[AvailabilityRule],
    appointments: Iterable[Appointment],
    session_minutes: int,
    not_before: dt.datetime | None = None,
) -> list[Slot]:
    """Rules of the day minus non-cancelled appointments, cut in `session_minutes` pieces.

    A gap shorter than one session yields nothing; an appointment of odd length shifts the
    following slots (they start right after it), as a secretary would book them.
    """
    step = dt.timedelta(minutes=max(session_minutes, 5))
    busy = sorted(
        (a.starts_at.astimezone(SAO_PAULO), a.ends_at.astimezone(SAO_PAULO))
        for a in appointments
        if a.status != AppointmentStatus.CANCELLED
    )
    slots: list[Slot] = []
    for rule in rules:
        cursor = local_datetime(day, rule.start_time)
        window_end = local_datetime(day, rule.end_time)
        if not_before is not None and cursor < not_before:
            # Keep the grid of the rule (08:00, 08:50, ...) instead of starting at "now".
            cursor += step * math.ceil((not_before - cursor) / step)
        for b_start, b_end in [*busy, (window_end, window_end)]:
            if b_end <= cursor:
                continue
            gap_end = min(b_start, window_end)
            while cursor + step <= gap_end:
                slots.append(Slot(cursor, cursor + step))
                cursor += step
            cursor = max(cursor, b_end)
            if cursor >= window_end:
                break
    return sorted(slots, key=lambda s: s.starts_at)


def free_slots_for_day(
    *,
    tenant: Tenant,
    professional: Professional,
    day: dt.date,
    not_before: dt.datetime | None = None,
) -> list[Slot]:
    start, end = day_bounds(day)
    rules = AvailabilityRule.objects.filter(
        tenant=tenant, professional=professional, weekday=day.weekday(), is_active=True
    ).order_by("start_time")
    appointments = Appointment.objects.filter(
        tenant=tenant, professional=professional, starts_at__lt=end, ends_at__gt=start
    ).exclude(status=AppointmentStatus.CANCELLED)
    return free_slots_compute(
        day=day,
        rules=rules,
        appointments=appointments,
        session_minutes=professional.session_minutes,
        not_before=not_before,
    )


def agenda_day(
    *,
    tenant: Tenant,
    day: dt.date,
    professionals: Iterable[Professional],
    now: dt.datetime | None = None,
) -> list[ProfessionalDay]:
    """The clinic's day: one entry per professional with appointments, blocks and free slots."""
    profs = list(professionals)
    ids = [p.pk for p in profs]
    start, end = day_bounds(day)
    by_prof: dict[int, list[Appointment]] = defaultdict(list)
    for appt in appointments_between(tenant=tenant, start=start, end=end, professional_ids=ids):
        by_prof[appt.professional_id].append(appt)
    rules = _rules_by_professional_weekday(tenant=tenant, professional_ids=ids)
    out = []
    for prof in profs:
        day_rules = rules.get((prof.pk, day.weekday()), [])
        out.append(
            ProfessionalDay(
                professional=prof,
                appointments=by_prof.get(prof.pk, []),
                blocks=[Block(r.start_time, r.end_time) for r in day_rules],
                free_slots=free_slots_compute(
                    day=day,
                    rules=day_rules,
                    appointments=by_prof.get(prof.pk, []),
                    session_minutes=prof.session_minutes,
                    not_before=now,
                ),
            )
        )
    return out


def agenda_week(
    *,
    tenant: Tenant,
    professional: Professional,
    start: dt.date,
    today: dt.date,
    now: dt.datetime | None = None,
) -> list[DayColumn]:
    """Seven days from `start` (a Monday) for one professional; no free slot before `now`."""
    first = week_start(start)
    range_start, _ = day_bounds(first)
    _, range_end = day_bounds(first + dt.timedelta(days=6))
    by_day: dict[dt.date, list[Appointment]] = defaultdict(list)
    for appt in appointments_between(
        tenant=tenant, start=range_start, end=range_end, professional_ids=[professional.pk]
    ):
        by_day[appt.starts_at.astimezone(SAO_PAULO).date()].append(appt)
    rules = _rules_by_professional_weekday(tenant=tenant, professional_ids=[professional.pk])
    columns = []
    for offset in range(7):
        day = first + dt.timedelta(days=offset)
        day_rules = rules.get((professional.pk, day.weekday()), [])
        columns.append(
            DayColumn(
                day=day,
                is_today=day == today,
                appointments=by_day.get(day, []),
                blocks=[Block(r.start_time, r.end_time) for r in day_rules],
                free_slots=free_slots_compute(
                    day=day,
                    rules=day_rules,
                    appointments=by_day.get(day, []),
                    session_minutes=professional.session_minutes,
                    not_before=now,
                ),
            )
        )
    return columns


def availability_rule_list(
    *, tenant: Tenant, professional: Professional
) -> QuerySet[AvailabilityRule]:
    return AvailabilityRule.objects.filter(tenant=tenant, professional=professional).order_by(
        "weekday", "start_time", "id"
    )


def patient_suggestions(*, tenant: Tenant, query: str, limit: int = 15) -> list[Patient]:
    """Active patients matching `query`, by name: the patient list's search (accent- and
    case-insensitive names on the trigram-indexed `search_text`, CPF/phone digits, e-mail)."""
    query = " ".join(query.split())[:100]
    if len(query) < 2:
        return []
    filters = ListFilters(query=query, status="active")
    return list(
        patient_list(tenant=tenant, filters=filters).only("id", "full_name", "social_name")[:limit]
    )
