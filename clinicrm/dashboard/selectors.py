"""Dashboard KPIs of one tenant (or of one professional), in a handful of indexed queries.

Months and days are São Paulo ones; the bounds are converted to aware datetimes so the
queries compare against the UTC columns and use the (tenant, starts_at) and
(tenant, professional, starts_at) indexes of `appointments`.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from clinicrm.agenda.models import Appointment, AppointmentStatus, AvailabilityRule
from clinicrm.agenda.selectors import Slot, day_bounds, free_slots_compute
from clinicrm.core.models import Tenant
from clinicrm.core.timeutils import local_datetime, month_bounds
from clinicrm.people.models import Patient, Professional


@dataclass
class DashboardKpis:
    today: dt.date
    active_patients: int
    month_appointments: int
    month_attended: int
    month_no_show: int
    today_appointments: list[Appointment] = field(default_factory=list)
    free_slots_today: list[tuple[Professional, Slot]] = field(default_factory=list)

    @property
    def attendance_rate(self) -> float | None:
        """Share of attended among appointments whose outcome is known (attended + no-show)."""
        decided = self.month_attended + self.month_no_show
        return None if decided == 0 else self.month_attended / decided

    @property
    def attendance_rate_pct(self) -> int | None:
        rate = self.attendance_rate
        return None if rate is None else round(rate * 100)

    @property
    def no_show_rate_pct(self) -> int | None:
        rate = self.attendance_rate
        return None if rate is None else 100 - round(rate * 100)


def dashboard_kpis(
    *,
    tenant: Tenant,
    today: dt.date,
    professional: Professional | None = None,
    now: dt.datetime | None = None,
) -> DashboardKpis:
    """KPIs for `tenant`; with `professional`, only that professional's numbers.

    Free slots today count only the ones still ahead of `now` (default: the current time).
    Queries: patients count, one month aggregate, today's appointments, professionals, rules.
    """
    now = now or timezone.now()
    first, next_first = month_bounds(today)
    month_start = local_datetime(first, dt.time(0, 0))
    month_end = local_datetime(next_first, dt.time(0, 0))

    appts = Appointment.objects.filter(tenant=tenant)
    if professional is not None:
        appts = appts.filter(professional=professional)

    if professional is None:
        active_patients = Patient.objects.filter(tenant=tenant, is_active=True).count()
    else:
        # A professional's own patients: active ones they have seen or will see.
        active_patients = Patient.objects.filter(
            tenant=tenant,
            is_active=True,
            pk__in=appts.exclude(status=AppointmentStatus.CANCELLED).values("patient_id"),
        ).count()

    month = appts.filter(starts_at__gte=month_start, starts_at__lt=month_end).aggregate(
        total=Count("id", filter=~Q(status=AppointmentStatus.CANCELLED)),
        attended=Count("id", filter=Q(status=AppointmentStatus.ATTENDED)),
        no_show=Count("id", filter=Q(status=AppointmentStatus.NO_SHOW)),
    )

    day_start, day_end = day_bounds(today)
    today_appts = list(
        appts.filter(starts_at__gte=day_start, starts_at__lt=day_end)
        .select_related("patient", "professional")
        .order_by("starts_at", "id")
    )

    if professional is None:
        professionals = list(Professional.objects.filter(tenant=tenant, is_active=True))
    else:
        professionals = [professional] if professional.is_active else []
    rules_by_prof: dict[int, list[AvailabilityRule]] = {}
    for rule in AvailabilityRule.objects.filter(
        tenant=tenant,
        professional_id__in=[p.pk for p in professionals],
        weekday=today.weekday(),
        is_active=True,
    ).order_by("start_time"):
        rules_by_prof.setdefault(rule.professional_id, []).append(rule)
    free: list[tuple[Professional, Slot]] = []
    for prof in professionals:
        if prof.pk not in rules_by_prof:
            continue
        for slot in free_slots_compute(
            day=today,
            rules=rules_by_prof[prof.pk],
            appointments=[a for a in today_appts if a.professional_id == prof.pk],
            session_minutes=prof.session_minutes,
            not_before=now,
        ):
            free.append((prof, slot))
    free.sort(key=lambda item: (item[1].starts_at, item[0].full_name))

    return DashboardKpis(
        today=today,
        active_patients=active_patients,
        month_appointments=month["total"],
        month_attended=month["attended"],
        month_no_show=month["no_show"],
        today_appointments=today_appts,
        free_slots_today=free,
    )
