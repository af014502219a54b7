"""Writes of the agenda: appointments and weekly availability rules.

Every function re-reads the professional (and patient) inside the transaction filtered by the
tenant, so an id of another tenant is "not found" whatever the caller passed. The professional
row is locked (`select_for_update`; on SQLite the IMMEDIATE transaction serialises writers) so
two concurrent bookings of the same professional cannot both pass the overlap check.
"""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinicrm.agenda.booking_checks import BookingWarning, appointment_warnings
from clinicrm.agenda.models import ALLOWED_TRANSITIONS, Appointment, AppointmentStatus
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.core.services import audit_log_record
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.people.models import Patient, Professional

S = AppointmentStatus

# Presence or absence can only be recorded once the session has begun.
PRESENCE_STATUSES = frozenset({S.ATTENDED, S.NO_SHOW})

APPOINTMENT_FIELDS = ("professional", "patient", "starts_at", "ends_at", "status", "notes")


class NotFoundError(ApplicationError):
    """A referenced row does not exist in this tenant (views and the API answer 404)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field, extra={"status": 404})


class AppointmentNeedsConfirmation(ApplicationError):
    """An unusual booking (outside availability, a holiday, the patient booked elsewhere at the
    same time): saved only when the caller confirms it (`warnings_confirmed=True`)."""

    def __init__(self, warnings: list[BookingWarning]) -> None:
        super().__init__(" ".join(w.message for w in warnings), field="confirm_warnings")
        self.warnings = warnings


def _check_warnings(
    *,
    tenant: Tenant,
    professional: Professional,
    patient: Patient,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    confirmed: bool,
    exclude_id: int | None = None,
) -> list[str]:
    """The warning codes the caller confirmed (for the audit row); raises when unconfirmed."""
    warnings = appointment_warnings(
        tenant=tenant,
        professional=professional,
        patient=patient,
        starts_at=starts_at,
        ends_at=ends_at,
        exclude_id=exclude_id,
    )
    if warnings and not confirmed:
        raise AppointmentNeedsConfirmation(warnings)
    return [w.code for w in warnings]


def _professional_for_update(*, tenant: Tenant, professional_id: int) -> Professional:
    professional = (
        Professional.objects.select_for_update().filter(tenant=tenant, pk=professional_id).first()
    )
    if professional is None:
        raise NotFoundError("Profissional não encontrado.", field="professional")
    return professional


def _patient(*, tenant: Tenant, patient_id: int) -> Patient:
    patient = Patient.objects.filter(tenant=tenant, pk=patient_id).first()
    if patient is None:
        raise NotFoundError("Paciente não encontrado.", field="patient")
    return patient


def _check_interval(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ApplicationError("Data e hora inválidas.", field="starts_at")
    if ends_at <= starts_at:
        raise ApplicationError("O término deve ser depois do início.", field="ends_at")
    if ends_at - starts_at > dt.timedelta(hours=12):
        raise ApplicationError("Uma consulta não pode durar mais de 12 horas.", field="ends_at")


def _check_no_overlap(
    *,
    tenant: Tenant,
    professional: Professional,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    exclude_id: int | None = None,
) -> None:
    clash = (
        Appointment.objects.filter(
            tenant=tenant,
            professional=professional,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .exclude(status=S.CANCELLED)
        .exclude(pk=exclude_id or 0)
        .order_by("starts_at")
        .first()
    )
    if clash is not None:
        start = clash.starts_at.astimezone(SAO_PAULO)
        end = clash.ends_at.astimezone(SAO_PAULO)
        raise ApplicationError(
            "Este horário conflita com outra consulta do profissional "
            f"({start:%d/%m/%Y %H:%M}–{end:%H:%M}).",
            field="starts_at",
        )


def _check_status_allowed(*, status: str, starts_at: dt.datetime) -> None:
    if status not in S.values:
        raise ApplicationError("Situação inválida.", field="status")
    if status in PRESENCE_STATUSES and starts_at > timezone.now():
        raise ApplicationError(
            "Só é possível registrar presença ou falta depois do início da consulta.",
            field="status",
        )


@transaction.atomic
def appointment_create(
    *,
    tenant: Tenant,
    actor: Any,
    professional_id: int,
    patient_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    status: str = S.SCHEDULED,
    notes: str = "",
    ip: str | None = None,
    warnings_confirmed: bool = False,
) -> Appointment:
    professional = _professional_for_update(tenant=tenant, professional_id=professional_id)
    patient = _patient(tenant=tenant, patient_id=patient_id)
    if not professional.is_active:
        raise ApplicationError("Este profissional está inativo.", field="professional")
    if not patient.is_active:
        raise ApplicationError("Este paciente está arquivado.", field="patient")
    _check_interval(starts_at, ends_at)
    if status == S.CANCELLED:
        raise ApplicationError("Uma consulta nova não pode nascer cancelada.", field="status")
    _check_status_allowed(status=status, starts_at=starts_at)
    _check_no_overlap(
        tenant=tenant, professional=professional, starts_at=starts_at, ends_at=ends_at
    )
    confirmed = _check_warnings(
        tenant=tenant,
        professional=professional,
        patient=patient,
        starts_at=starts_at,
        ends_at=ends_at,
        confirmed=warnings_confirmed,
    )
    appointment = Appointment.objects.create(
        tenant=tenant,
        professional=professional,
        patient=patient,
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        notes=notes.strip(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_log_record(
        action="appointment.create",
        user=actor,
        tenant=tenant,
        obj=appointment,
        ip=ip,
        details={"fields": list(APPOINTMENT_FIELDS), **_warning_details(confirmed)},
    )
    return appointment


def _warning_details(codes: list[str]) -> dict[str, Any]:
    return {"confirmed_warnings": codes} if codes else {}


@transaction.atomic
def appointment_update(
    *,
    appointment: Appointment,
    actor: Any,
    professional_id: int,
    patient_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    status: str,
    notes: str = "",
    ip: str | None = None,
    warnings_confirmed: bool = False,
) -> Appointment:
    tenant = appointment.tenant
    professional = _professional_for_update(tenant=tenant, professional_id=professional_id)
    patient = _patient(tenant=tenant, patient_id=patient_id)
    # An archived person keeps their past appointments editable; only a new link is refused.
    if professional.pk != appointment.professional_id and not professional.is_active:
        raise ApplicationError("Este profissional está inativo.", field="professional")
    if patient.pk != appointment.patient_id and not patient.is_active:
        raise ApplicationError("Este paciente está arquivado.", field="patient")
    _check_interval(starts_at, ends_at)
    if status != appointment.status:
        if status not in ALLOWED_TRANSITIONS.get(appointment.status, frozenset()):
            raise ApplicationError(_transition_message(appointment.status, status), field="status")
        _check_status_allowed(status=status, starts_at=starts_at)
    if status != S.CANCELLED:
        _check_no_overlap(
            tenant=tenant,
            professional=professional,
            starts_at=starts_at,
            ends_at=ends_at,
            exclude_id=appointment.pk,
        )
    confirmed: list[str] = []
    moved = (professional.pk, patient.pk, starts_at, ends_at) != (
        appointment.professional_id,
        appointment.patient_id,
        appointment.starts_at,
        appointment.ends_at,
    )
    if status != S.CANCELLED and moved:
        # Only a change of who or when is checked again: editing the notes of a booking made
        # on a holiday does not ask a second time.
        confirmed = _check_warnings(
            tenant=tenant,
            professional=professional,
            patient=patient,
            starts_at=starts_at,
            ends_at=ends_at,
            confirmed=warnings_confirmed,
            exclude_id=appointment.pk,
        )
    new_values = {
        "professional": professional,
        "patient": patient,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "status": status,
        "notes": notes.strip(),
    }
    changed = [name for name, value in new_values.items() if getattr(appointment, name) != value]
    if not changed:
        return appointment
    for name, value in new_values.items():
        setattr(appointment, name, value)
    appointment.save()
    audit_log_record(
        action="appointment.update",
        user=actor,
        tenant=tenant,
        obj=appointment,
        ip=ip,
        details={"fields": changed, **_warning_details(confirmed)},
    )
    return appointment


def _transition_message(old: str, new: str) -> str:
    old_label = S(old).label if old in S.values else old
    new_label = S(new).label if new in S.values else new
    return f"Não é possível mudar a situação de “{old_label}” para “{new_label}”."


@transaction.atomic
def appointment_set_status(
    *, appointment: Appointment, actor: Any, status: str, ip: str | None = None
) -> Appointment:
    # Re-read under lock so two clicks on different statuses apply one after the other.
    current = Appointment.objects.select_for_update().get(
        tenant=appointment.tenant, pk=appointment.pk
    )
    if status not in S.values:
        raise ApplicationError("Situação inválida.", field="status")
    if status == current.status:
        return current
    if status not in ALLOWED_TRANSITIONS.get(current.status, frozenset()):
        raise ApplicationError(_transition_message(current.status, status), field="status")
    _check_status_allowed(status=status, starts_at=current.starts_at)
    if current.status == S.CANCELLED:
        # Reopening takes the interval back: it must still be free.
        professional = _professional_for_update(
            tenant=current.tenant, professional_id=current.professional_id
        )
        _check_no_overlap(
            tenant=current.tenant,
            professional=professional,
            starts_at=current.starts_at,
            ends_at=current.ends_at,
            exclude_id=current.pk,
        )
    previous = current.status
    current.status = status
    current.save(update_fields=["status", "updated_at"])
    audit_log_record(
        action="appointment.status_change",
        user=actor,
        tenant=current.tenant,
        obj=current,
        ip=ip,
        details={"fields": ["status"], "from": previous, "to": status},
    )
    return current


def appointment_cancel(
    *, appointment: Appointment, actor: Any, ip: str | None = None
) -> Appointment:
    return appointment_set_status(appointment=appointment, actor=actor, status=S.CANCELLED, ip=ip)
