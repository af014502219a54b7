"""Writes of intake invites: create (and send by WhatsApp), the patient's submission, the
clinic's review. Every step is audited without personal data (ids, field names, outcomes)."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinicrm.compliance.intake.models import IntakeInvite, IntakeSubmission, SubmissionStatus
from clinicrm.compliance.intake.selectors import LinkState, intake_patient_match
from clinicrm.compliance.intake.tokens import intake_invite_url
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.core.services import audit_log_record
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.messaging.models import Message
from clinicrm.messaging.services import message_send
from clinicrm.people.models import ContactEmail, ContactPhone, EntityType, Patient, Professional
from clinicrm.people.phones import phone_canonicalize
from clinicrm.people.services import (
    contact_email_add,
    contact_phone_add,
    contact_phone_update,
    patient_create,
    patient_update,
)

DEFAULT_DAYS = 7
MAX_DAYS = 30
TERMS_VERSION = "2026-12"
LINK_MESSAGES = {
    LinkState.INVALID: "Este link de cadastro não é válido. Confira se ele foi copiado inteiro "
    "ou peça um novo link à clínica.",
    LinkState.EXPIRED: "Este link de cadastro expirou. Peça um novo link à clínica.",
    LinkState.USED: "Este link de cadastro já foi usado: o seu cadastro foi enviado à clínica. "
    "Se precisar corrigir algo, fale com a clínica.",
}


def _clean_days(value: Any) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_DAYS:
        raise ApplicationError(f"A validade deve ficar entre 1 e {MAX_DAYS} dias.", field="days")
    return days


@transaction.atomic
def intake_invite_create(
    *,
    tenant: Tenant,
    actor: Any,
    name: str = "",
    phone: str = "",
    days: Any = DEFAULT_DAYS,
    via: str = "page",
    ip: str | None = None,
) -> IntakeInvite:
    """A new invite of `tenant`. `name` and `phone` are optional notes for the clinic's own
    list; the inviting professional is the actor's professional record, if they have one."""
    name = " ".join((name or "").split())
    if len(name) > 200:
        raise ApplicationError("O nome pode ter no máximo 200 caracteres.", field="name")
    e164 = phone_canonicalize(phone, field="phone") if (phone or "").strip() else ""
    valid_days = _clean_days(days)
    professional = (
        Professional.objects.filter(tenant=tenant, user=actor, is_active=True).first()
        if actor is not None and actor.is_authenticated
        else None
    )
    invite = IntakeInvite.objects.create(
        tenant=tenant,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        professional=professional,
        name=name,
        phone_e164=e164,
        expires_at=timezone.now() + dt.timedelta(days=valid_days),
    )
    audit_log_record(
        action="intake.invite_create",
        user=actor,
        tenant=tenant,
        obj=invite,
        ip=ip,
        details={"via": via, "days": valid_days},
    )
    return invite


def intake_invite_message(*, invite: IntakeInvite) -> str:
    until = invite.expires_at.astimezone(SAO_PAULO).strftime("%d/%m/%Y")
    return (
        f"Olá! A {invite.tenant.name} convida você a preencher o seu cadastro de paciente "
        f"neste link seguro:\n{intake_invite_url(invite=invite)}\n"
        f"O link vale até {until} e só pode ser usado uma vez."
    )


@transaction.atomic
def intake_invite_create_and_send(
    *, tenant: Tenant, actor: Any, thread_key: str, contact_name: str = "", ip: str | None = None
) -> tuple[IntakeInvite, Message]:
    """Invite the person of a conversation and send the link there (the existing outbox). A
    refused send (no channel, opted out, window closed, no credits) creates no invite."""
    phone = thread_key if thread_key.startswith("+") else ""
    invite = intake_invite_create(
        tenant=tenant, actor=actor, name=contact_name, phone=phone, via="drawer", ip=ip
    )
    message = message_send(
        tenant=tenant, actor=actor, thread_key=thread_key, text=intake_invite_message(invite=invite)
    )
    return invite, message


@dataclass(frozen=True)
class IntakeData:
    full_name: str
    cpf: str  # 11 digits, check digits verified
    birth_date: dt.date
    phone_e164: str
    social_name: str = ""
    email: str = ""


def intake_refusal_record(*, invite: IntakeInvite | None, reason: str, ip: str | None) -> None:
    """A post to the public page that changed nothing (counts towards the per-address cap)."""
    audit_log_record(
        action="intake.submit_refused",
        tenant=invite.tenant if invite else None,
        obj=invite,
        object_type="intakeinvite",
        ip=ip,
        details={"reason": reason},
    )


def intake_submit(*, invite: IntakeInvite, data: IntakeData, ip: str | None) -> IntakeSubmission:
    """Store the patient's answer to `invite`. Raises ApplicationError (field "link") when the
    invite expired or was answered meanwhile: nothing is stored then."""
    try:
        with transaction.atomic():
            locked = IntakeInvite.objects.select_for_update().get(pk=invite.pk)
            if locked.expires_at <= timezone.now():
                raise ApplicationError(LINK_MESSAGES[LinkState.EXPIRED], field="link")
            if IntakeSubmission.objects.filter(invite=locked).exists():
                raise ApplicationError(LINK_MESSAGES[LinkState.USED], field="link")
            now = timezone.now()
            submission = IntakeSubmission.objects.create(
                tenant_id=locked.tenant_id,
                invite=locked,
                full_name=data.full_name,
                social_name=data.social_name,
                cpf=data.cpf,
                birth_date=data.birth_date,
                phone_e164=data.phone_e164,
                email=data.email,
                consent_terms_version=TERMS_VERSION,
                consented_at=now,
            )
            audit_log_record(
                action="intake.submit",
                tenant=locked.tenant,
                obj=submission,
                ip=ip,
                details={"invite": str(locked.pk), "terms": TERMS_VERSION},
            )
    except IntegrityError as exc:  # the one-to-one: another post of the same invite won
        raise ApplicationError(LINK_MESSAGES[LinkState.USED], field="link") from exc
    return submission


def _lock_pending(submission: IntakeSubmission) -> IntakeSubmission:
    locked = IntakeSubmission.objects.select_for_update().get(pk=submission.pk)
    if locked.status != SubmissionStatus.PENDING:
        raise ApplicationError("Este cadastro já foi revisado.", field="status")
    return locked


def _patient_fields_update(*, patient: Patient, sub: IntakeSubmission, actor: Any, ip: Any) -> None:
    data: dict[str, Any] = {"full_name": sub.full_name, "birth_date": sub.birth_date}
    if sub.social_name:
        data["social_name"] = sub.social_name
    if not patient.cpf:
        data["cpf"] = sub.cpf
    patient_update(patient=patient, actor=actor, data=data, ip=ip)


def _contacts_add(*, patient: Patient, sub: IntakeSubmission, actor: Any, ip: Any) -> None:
    phone = ContactPhone.objects.filter(
        tenant_id=patient.tenant_id,
        entity_type=EntityType.PATIENT,
        entity_id=patient.pk,
        number_e164=sub.phone_e164,
    ).first()
    if phone is None:
        contact_phone_add(
            entity=patient, actor=actor, number=sub.phone_e164, whatsapp_linked=True, ip=ip
        )
    elif not phone.whatsapp_linked:
        contact_phone_update(phone=phone, actor=actor, whatsapp_linked=True, ip=ip)
    if (
        sub.email
        and not ContactEmail.objects.filter(
            tenant_id=patient.tenant_id,
            entity_type=EntityType.PATIENT,
            entity_id=patient.pk,
            email=sub.email,
        ).exists()
    ):
        contact_email_add(entity=patient, actor=actor, email=sub.email, ip=ip)


@transaction.atomic
def intake_submission_accept(
    *, submission: IntakeSubmission, actor: Any, ip: str | None = None
) -> Patient:
    """Create the patient, or update the one the submission matches (same CPF, or the phone's
    only holder), with the phone marked WhatsApp-linked. Audited as `intake.accept`."""
    sub = _lock_pending(submission)
    match = intake_patient_match(submission=sub)
    if match.patient is not None:
        patient = match.patient
        _patient_fields_update(patient=patient, sub=sub, actor=actor, ip=ip)
    else:
        patient = patient_create(
            tenant=sub.tenant,
            actor=actor,
            full_name=sub.full_name,
            social_name=sub.social_name,
            cpf=sub.cpf,
            birth_date=sub.birth_date,
            ip=ip,
        )
    _contacts_add(patient=patient, sub=sub, actor=actor, ip=ip)
    sub.status = SubmissionStatus.ACCEPTED
    sub.patient = patient
    sub.reviewed_by = actor
    sub.reviewed_at = timezone.now()
    sub.save(update_fields=["status", "patient", "reviewed_by", "reviewed_at"])
    audit_log_record(
        action="intake.accept",
        user=actor,
        tenant=sub.tenant,
        obj=sub,
        ip=ip,
        details={
            "patient": patient.pk,
            "result": "updated" if match.patient else "created",
            "matched_by": match.by,
        },
    )
    return patient


@transaction.atomic
def intake_submission_reject(
    *, submission: IntakeSubmission, actor: Any, ip: str | None = None
) -> IntakeSubmission:
    sub = _lock_pending(submission)
    sub.status = SubmissionStatus.REJECTED
    sub.reviewed_by = actor
    sub.reviewed_at = timezone.now()
    sub.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    audit_log_record(action="intake.reject", user=actor, tenant=sub.tenant, obj=sub, ip=ip)
    return sub
