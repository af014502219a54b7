"""Appointments and weekly availability rules.

An `Appointment` books one patient with one professional for an interval stored as two aware
UTC datetimes; people see and type São Paulo wall-clock date + start + end (core.timeutils).
The database guarantees `ends_at > starts_at`; the service additionally refuses overlapping
non-cancelled appointments of the same professional (a cancelled one frees its interval).

An `AvailabilityRule` is one weekly block of a professional ("segunda, 08:00-12:00") in São
Paulo time. Free slots are derived, never stored: rules of the weekday minus the day's
non-cancelled appointments, cut into pieces of the professional's `session_minutes`.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from clinicrm.core.models import TenantModel


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Agendada"
    CONFIRMED = "confirmed", "Confirmada"
    CANCELLED = "cancelled", "Cancelada"
    ATTENDED = "attended", "Compareceu"
    NO_SHOW = "no_show", "Faltou"


S = AppointmentStatus

# Which status may follow which (the services enforce it; cards offer only these).
# attended <-> no_show lets a clinic fix a wrong mark; a cancelled appointment may be reopened.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.SCHEDULED: frozenset({S.CONFIRMED, S.CANCELLED, S.ATTENDED, S.NO_SHOW}),
    S.CONFIRMED: frozenset({S.SCHEDULED, S.CANCELLED, S.ATTENDED, S.NO_SHOW}),
    S.CANCELLED: frozenset({S.SCHEDULED}),
    S.ATTENDED: frozenset({S.NO_SHOW, S.CONFIRMED}),
    S.NO_SHOW: frozenset({S.ATTENDED, S.CONFIRMED}),
}

STATUS_PILL_CLASS: dict[str, str] = {
    S.SCHEDULED: "pill",
    S.CONFIRMED: "pill pill-primary",
    S.CANCELLED: "pill",
    S.ATTENDED: "pill pill-ok",
    S.NO_SHOW: "pill pill-danger",
}


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Segunda"
    TUESDAY = 1, "Terça"
    WEDNESDAY = 2, "Quarta"
    THURSDAY = 3, "Quinta"
    FRIDAY = 4, "Sexta"
    SATURDAY = 5, "Sábado"
    SUNDAY = 6, "Domingo"


class Appointment(TenantModel):
    professional = models.ForeignKey(
        "people.Professional",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name="profissional",
    )
    patient = models.ForeignKey(
        "people.Patient",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name="paciente",
    )
    starts_at = models.DateTimeField("início")
    ends_at = models.DateTimeField("término")
    status = models.CharField(
        "situação",
        max_length=20,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.SCHEDULED,
    )
    notes = models.TextField("observações", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_column="created_by",
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "appointments"
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(
                fields=["tenant", "professional", "starts_at"], name="appts_tenant_prof_start_idx"
            ),
            models.Index(fields=["tenant", "starts_at"], name="appts_tenant_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointments_ends_after_starts_chk"
            ),
        ]

    def __str__(self) -> str:
        return f"Consulta #{self.pk}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == AppointmentStatus.CANCELLED

    @property
    def status_pill_class(self) -> str:
        return STATUS_PILL_CLASS.get(self.status, "pill")

    @property
    def status_options(self) -> list[tuple[str, str]]:
        """The current status first, then those it may change to, as (value, label)."""
        allowed = ALLOWED_TRANSITIONS.get(self.status, frozenset())
        return [(self.status, self.get_status_display())] + [
            (value, label) for value, label in S.choices if value in allowed
        ]


class AvailabilityRule(TenantModel):
    professional = models.ForeignKey(
        "people.Professional",
        on_delete=models.CASCADE,
        related_name="availability_rules",
        verbose_name="profissional",
    )
    weekday = models.PositiveSmallIntegerField("dia da semana", choices=Weekday.choices)
    start_time = models.TimeField("início")
    end_time = models.TimeField("término")
    is_active = models.BooleanField("ativa", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "availability_rules"
        ordering = ["weekday", "start_time", "id"]
        indexes = [
            models.Index(
                fields=["tenant", "professional", "weekday"], name="avail_tenant_prof_wd_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="availability_rules_end_after_chk"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0) & Q(weekday__lte=6),
                name="availability_rules_weekday_chk",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"
