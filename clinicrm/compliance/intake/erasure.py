"""Intake invites in a patient's LGPD rights: the submissions about them go into their export
(`intake_rows_of_patient`) and are deleted with their invites on erasure (a hook of
`compliance.lgpd.erase`). Deleting the invite too keeps its link from opening again.

Retention (`intake_submissions_purge`, run by `compliance.retention`): what a patient sent that
never entered the patient record (rejected, or left unreviewed until the invite expired) is
deleted the same way once the period has passed; accepted submissions are part of the record.
Invites nobody answered go after the same period from their expiry
(`intake_invites_unanswered_purge`).
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from clinicrm.compliance.intake.models import IntakeInvite, IntakeSubmission, SubmissionStatus
from clinicrm.compliance.lgpd.erase import ErasureSubject, patient_erase_hook_register
from clinicrm.core.models import Tenant
from clinicrm.core.services import audit_log_record
from clinicrm.people.models import Patient


def _about(*, patient_id: int, numbers: list[str] | tuple[str, ...], cpf: str) -> Q:
    q = Q(patient_id=patient_id) | Q(phone_e164__in=list(numbers))
    if cpf:
        q |= Q(cpf=cpf)
    return q


def intake_submissions_of_patient(
    *, patient: Patient, numbers: list[str]
) -> QuerySet[IntakeSubmission]:
    """Submissions of `patient`'s clinic that are theirs: accepted into their record, or
    carrying their CPF or one of their phone numbers."""
    about = _about(patient_id=patient.pk, numbers=numbers, cpf=patient.cpf)
    return IntakeSubmission.objects.filter(tenant_id=patient.tenant_id).filter(about)


def intake_rows_of_patient(*, patient: Patient, numbers: list[str]) -> list[dict[str, Any]]:
    qs = intake_submissions_of_patient(patient=patient, numbers=numbers).order_by("created_at")
    return [dict(row) for row in qs.values()]


def _erase(subject: ErasureSubject) -> int:
    patient = Patient.objects.filter(tenant=subject.tenant, pk=subject.patient_id).first()
    cpf = patient.cpf if patient else ""
    about = _about(patient_id=subject.patient_id, numbers=subject.numbers, cpf=cpf)
    submissions = IntakeSubmission.objects.filter(tenant=subject.tenant).filter(about)
    invite_ids = set(submissions.values_list("invite_id", flat=True))
    invite_ids |= set(
        IntakeInvite.objects.filter(
            tenant=subject.tenant, phone_e164__in=list(subject.numbers)
        ).values_list("pk", flat=True)
    )
    count = submissions.count()
    IntakeInvite.objects.filter(tenant=subject.tenant, pk__in=invite_ids).delete()
    return count


def _past_retention(cutoff: dt.datetime) -> QuerySet[IntakeSubmission]:
    return IntakeSubmission.objects.filter(
        Q(status=SubmissionStatus.REJECTED, reviewed_at__lt=cutoff)
        | Q(status=SubmissionStatus.PENDING, invite__expires_at__lt=cutoff)
    )


def intake_submissions_purge(*, cutoff: dt.datetime) -> int:
    """Delete, with their invites, the submissions rejected before `cutoff` and the ones still
    unreviewed whose invite expired before it. Returns how many submissions were deleted."""
    return _purge_per_clinic(
        kind="intake_submissions",
        cutoff=cutoff,
        # Deleting the invite deletes its submission: no link opens again, no name stays.
        invites=lambda: IntakeInvite.objects.filter(submission__in=_past_retention(cutoff)),
        counted=IntakeSubmission._meta.label,
    )


def intake_invites_unanswered_purge(*, cutoff: dt.datetime) -> int:
    """Delete the invites nobody answered that expired before `cutoff`: the name and phone a
    member typed on them are personal data with no purpose left. Returns how many."""
    return _purge_per_clinic(
        kind="intake_invites",
        cutoff=cutoff,
        invites=lambda: IntakeInvite.objects.filter(submission__isnull=True, expires_at__lt=cutoff),
        counted=IntakeInvite._meta.label,
    )


def _purge_per_clinic(
    *,
    kind: str,
    cutoff: dt.datetime,
    invites: Callable[[], QuerySet[IntakeInvite]],
    counted: str,
) -> int:
    """Per clinic, in one transaction with an audit row in the clinic's own log (count and
    cut-off, no content)."""
    tenant_ids = set(invites().values_list("tenant_id", flat=True))
    purged = 0
    for tenant in Tenant.objects.filter(pk__in=tenant_ids).order_by("pk"):
        with transaction.atomic():
            # The condition again, in the delete: a submission accepted meanwhile stays.
            count = invites().filter(tenant=tenant).delete()[1].get(counted, 0)
            if count:
                audit_log_record(
                    action="retention.purge",
                    tenant=tenant,
                    object_type="retention",
                    details={
                        "purged": {kind: count},
                        "cutoff": cutoff.isoformat(timespec="seconds"),
                    },
                )
        purged += count
    return purged


def intake_erasure_register() -> None:
    patient_erase_hook_register(name="cadastros", erase=_erase)
