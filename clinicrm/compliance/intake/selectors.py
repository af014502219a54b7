"""Reads of intake invites: the state of a public link, the review list, the patient a
submission matches."""

import datetime as dt
import enum
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from clinicrm.compliance.intake.models import IntakeInvite, IntakeSubmission, SubmissionStatus
from clinicrm.compliance.intake.tokens import intake_invite_id_from_token
from clinicrm.core.models import AuditLog, Tenant
from clinicrm.core.visibility import visibility_filter
from clinicrm.people.models import ContactPhone, EntityType, Patient

PUBLIC_ACTIONS = ("intake.submit", "intake.submit_refused")


class LinkState(enum.StrEnum):
    OPEN = "open"
    INVALID = "invalid"  # forged, malformed, or naming no invite
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True)
class PublicLink:
    state: LinkState
    invite: IntakeInvite | None = None


def intake_link_resolve(*, token: str, now: dt.datetime | None = None) -> PublicLink:
    invite_id = intake_invite_id_from_token(token=token)
    try:
        pk = uuid.UUID(invite_id) if invite_id else None
    except ValueError:
        pk = None
    invite = (
        IntakeInvite.objects.select_related("tenant", "professional").filter(pk=pk).first()
        if pk
        else None
    )
    if invite is None:
        return PublicLink(LinkState.INVALID)
    if IntakeSubmission.objects.filter(invite=invite).exists():
        return PublicLink(LinkState.USED, invite)
    if invite.expires_at <= (now or timezone.now()):
        return PublicLink(LinkState.EXPIRED, invite)
    return PublicLink(LinkState.OPEN, invite)


def intake_public_throttled(*, ip: str | None) -> bool:
    """Posts to the public page from one address in the last hour (submissions and refusals,
    counted on the audit trail like the password-reset form) reached the cap."""
    if not ip:
        return False
    since = timezone.now() - dt.timedelta(hours=1)
    recent = AuditLog.objects.filter(
        action__in=PUBLIC_ACTIONS, ip_address=ip, created_at__gte=since
    )
    return recent.count() >= settings.INTAKE_PUBLIC_MAX_PER_HOUR


def intake_submissions(*, tenant: Tenant, status: str = "") -> QuerySet[IntakeSubmission]:
    qs = IntakeSubmission.objects.filter(tenant=tenant).select_related("invite__created_by")
    if status in SubmissionStatus.values:
        qs = qs.filter(status=status)
    return visibility_filter(qs).order_by("-created_at", "-pk")


def intake_invites_open(*, tenant: Tenant) -> QuerySet[IntakeInvite]:
    qs = IntakeInvite.objects.filter(
        tenant=tenant, submission__isnull=True, expires_at__gt=timezone.now()
    ).select_related("created_by")
    return visibility_filter(qs).order_by("-created_at", "-pk")


@dataclass(frozen=True)
class PatientMatch:
    patient: Patient | None
    by: str  # "cpf", "phone" or "" (no match: accepting creates a patient)


def intake_patient_match(*, submission: IntakeSubmission) -> PatientMatch:
    """The patient of the tenant a submission is about: same CPF; else the one patient holding
    the phone whose CPF is blank or the same. A phone shared by two patients (a family number)
    or held by someone with another CPF matches nobody: accepting creates a new patient."""
    tenant_id = submission.tenant_id
    by_cpf = Patient.objects.filter(tenant_id=tenant_id, cpf=submission.cpf).first()
    if by_cpf is not None:
        return PatientMatch(by_cpf, "cpf")
    holders = ContactPhone.objects.filter(
        tenant_id=tenant_id, entity_type=EntityType.PATIENT, number_e164=submission.phone_e164
    ).values("entity_id")
    candidates = list(Patient.objects.filter(tenant_id=tenant_id, pk__in=holders)[:2])
    if len(candidates) == 1 and candidates[0].cpf in ("", submission.cpf):
        return PatientMatch(candidates[0], "phone")
    return PatientMatch(None, "")
