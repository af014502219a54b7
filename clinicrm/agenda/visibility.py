"""Least privilege (`core.visibility`): a professional attends the patients of their
appointments, and sees their own appointments and those of the patients they attend."""

from typing import Any

from django.db.models import Q, QuerySet

from clinicrm.agenda.models import Appointment
from clinicrm.core.models import Membership
from clinicrm.core.visibility import (
    visibility_patient_source_register,
    visibility_scope_register,
    visible_patients_q,
)


def _attended(membership: Membership) -> QuerySet[Any]:
    return Appointment.objects.filter(
        tenant_id=membership.tenant_id, professional__user_id=membership.user_id
    ).values("patient_id")


def _appointments(membership: Membership) -> Q:
    return Q(professional__user_id=membership.user_id) | visible_patients_q(
        membership, "patient_id"
    )


def agenda_visibility_register() -> None:
    visibility_patient_source_register("agenda.appointments", _attended)
    visibility_scope_register(Appointment, _appointments)
