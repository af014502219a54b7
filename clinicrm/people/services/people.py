"""Patients and professionals: create, update, archive. Every write leaves an audit row that
names the changed fields, never their values."""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Membership, Tenant, User
from clinicrm.core.services import audit_log_record
from clinicrm.people.documents import cpf_validate
from clinicrm.people.extensions import patient_writable_check
from clinicrm.people.models import Patient, Professional

PATIENT_FIELDS = ("full_name", "social_name", "cpf", "birth_date", "notes")
PROFESSIONAL_FIELDS = (
    "full_name",
    "specialty",
    "council_registration",
    "session_minutes",
    "user",
)


def _clean_name(value: Any, *, field: str = "full_name") -> str:
    name = " ".join(str(value or "").split())
    if len(name) < 2:
        raise ApplicationError("Informe o nome completo.", field=field)
    if len(name) > 200:
        raise ApplicationError("O nome pode ter no máximo 200 caracteres.", field=field)
    return name


def _clean_patient_cpf(*, tenant: Tenant, cpf: Any, exclude_pk: int | None = None) -> str:
    """CPF is optional; when given it must have valid check digits and be unique in the tenant."""
    if not cpf:
        return ""
    value = cpf_validate(str(cpf), field="cpf")
    duplicates = Patient.objects.filter(tenant=tenant, cpf=value)
    if exclude_pk is not None:
        duplicates = duplicates.exclude(pk=exclude_pk)
    if duplicates.exists():
        raise ApplicationError("Já existe um paciente com este CPF nesta clínica.", field="cpf")
    return value


def _clean_birth_date(value: dt.date | None) -> dt.date | None:
    if value is not None and value > timezone.localdate():
        raise ApplicationError("A data de nascimento não pode estar no futuro.", field="birth_date")
    return value


@transaction.atomic
def patient_create(
    *,
    tenant: Tenant,
    actor: Any,
    full_name: str,
    social_name: str = "",
    cpf: str = "",
    birth_date: dt.date | None = None,
    notes: str = "",
    ip: str | None = None,
) -> Patient:
    """Create a patient. `cpf` is optional (any punctuation); contacts are added separately
    with `contact_phone_add` / `contact_email_add`."""
    patient = Patient.objects.create(
        tenant=tenant,
        full_name=_clean_name(full_name),
        social_name=" ".join((social_name or "").split()),
        cpf=_clean_patient_cpf(tenant=tenant, cpf=cpf),
        birth_date=_clean_birth_date(birth_date),
        notes=notes or "",
    )
    audit_log_record(
        action="patient.create",
        user=actor,
        tenant=tenant,
        obj=patient,
        ip=ip,
        details={"fields": [f for f in PATIENT_FIELDS if getattr(patient, f)]},
    )
    return patient


@transaction.atomic
def patient_update(
    *, patient: Patient, actor: Any, data: Mapping[str, Any], ip: str | None = None
) -> Patient:
    """Update the given fields of `data` (keys from PATIENT_FIELDS; others are refused)."""
    unknown = set(data) - set(PATIENT_FIELDS)
    if unknown:
        raise ApplicationError("Campo desconhecido.", field=sorted(unknown)[0])
    patient_writable_check(patient=patient)
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if key == "full_name":
            cleaned[key] = _clean_name(value)
        elif key == "cpf":
            cleaned[key] = _clean_patient_cpf(
                tenant=patient.tenant, cpf=value, exclude_pk=patient.pk
            )
        elif key == "birth_date":
            cleaned[key] = _clean_birth_date(value)
        elif key == "social_name":
            cleaned[key] = " ".join((value or "").split())
        else:
            cleaned[key] = value or ""
    changed = [k for k, v in cleaned.items() if getattr(patient, k) != v]
    if changed:
        for key in changed:
            setattr(patient, key, cleaned[key])
        patient.save(update_fields=[*changed, "updated_at"])
        audit_log_record(
            action="patient.update",
            user=actor,
            tenant=patient.tenant,
            obj=patient,
            ip=ip,
            details={"fields": changed},
        )
    return patient


# The audit action of archiving or reactivating each kind of record, written out so the audit
# page's labels can be checked against every action the code writes (compliance/actions.py).
_ARCHIVE_ACTIONS: dict[tuple[str, bool], str] = {
    ("patient", True): "patient.archive",
    ("patient", False): "patient.unarchive",
    ("professional", True): "professional.archive",
    ("professional", False): "professional.unarchive",
}


def _set_archived(
    obj: Patient | Professional, *, archived: bool, actor: Any, ip: str | None
) -> None:
    if obj.is_active != archived:
        return  # already in the requested state: nothing to do, nothing to audit
    obj.is_active = not archived
    obj.archived_at = timezone.now() if archived else None
    obj.save(update_fields=["is_active", "archived_at", "updated_at"])
    audit_log_record(
        action=_ARCHIVE_ACTIONS[(obj._meta.model_name or "", archived)],
        user=actor,
        tenant=obj.tenant,
        obj=obj,
        ip=ip,
        details={"fields": ["is_active", "archived_at"]},
    )


@transaction.atomic
def patient_archive(*, patient: Patient, actor: Any, ip: str | None = None) -> Patient:
    _set_archived(patient, archived=True, actor=actor, ip=ip)
    return patient


@transaction.atomic
def patient_unarchive(*, patient: Patient, actor: Any, ip: str | None = None) -> Patient:
    patient_writable_check(patient=patient)
    _set_archived(patient, archived=False, actor=actor, ip=ip)
    return patient


def _clean_professional_user(*, tenant: Tenant, user: User | None) -> User | None:
    """The linked login must be an active member of the same tenant."""
    if user is None:
        return None
    if not Membership.objects.filter(tenant=tenant, user=user, is_active=True).exists():
        raise ApplicationError("Este usuário não é membro ativo da clínica.", field="user")
    return user


def _clean_session_minutes(value: Any) -> int:
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        minutes = 0
    if not 5 <= minutes <= 480:
        raise ApplicationError(
            "A duração da sessão deve ficar entre 5 e 480 minutos.", field="session_minutes"
        )
    return minutes


def _check_user_free(*, tenant: Tenant, user: User | None, exclude_pk: int | None = None) -> None:
    if user is None:
        return
    taken = Professional.objects.filter(tenant=tenant, user=user)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ApplicationError("Este usuário já está vinculado a outro profissional.", field="user")


@transaction.atomic
def professional_create(
    *,
    tenant: Tenant,
    actor: Any,
    full_name: str,
    specialty: str = "",
    council_registration: str = "",
    session_minutes: int = 50,
    user: User | None = None,
    ip: str | None = None,
) -> Professional:
    """Create a professional, optionally linked to a member's login (`user`)."""
    user = _clean_professional_user(tenant=tenant, user=user)
    _check_user_free(tenant=tenant, user=user)
    professional = Professional.objects.create(
        tenant=tenant,
        full_name=_clean_name(full_name),
        specialty=(specialty or "").strip(),
        council_registration=(council_registration or "").strip(),
        session_minutes=_clean_session_minutes(session_minutes),
        user=user,
    )
    audit_log_record(
        action="professional.create",
        user=actor,
        tenant=tenant,
        obj=professional,
        ip=ip,
        details={"fields": [f for f in PROFESSIONAL_FIELDS if getattr(professional, f)]},
    )
    return professional


@transaction.atomic
def professional_update(
    *, professional: Professional, actor: Any, data: Mapping[str, Any], ip: str | None = None
) -> Professional:
    """Update the given fields of `data` (keys from PROFESSIONAL_FIELDS)."""
    unknown = set(data) - set(PROFESSIONAL_FIELDS)
    if unknown:
        raise ApplicationError("Campo desconhecido.", field=sorted(unknown)[0])
    tenant = professional.tenant
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if key == "full_name":
            cleaned[key] = _clean_name(value)
        elif key == "session_minutes":
            cleaned[key] = _clean_session_minutes(value)
        elif key == "user":
            cleaned[key] = _clean_professional_user(tenant=tenant, user=value)
            _check_user_free(tenant=tenant, user=value, exclude_pk=professional.pk)
        else:
            cleaned[key] = (value or "").strip()
    changed = [k for k, v in cleaned.items() if getattr(professional, k) != v]
    if changed:
        for key in changed:
            setattr(professional, key, cleaned[key])
        professional.save(update_fields=[*changed, "updated_at"])
        audit_log_record(
            action="professional.update",
            user=actor,
            tenant=tenant,
            obj=professional,
            ip=ip,
            details={"fields": changed},
        )
    return professional


@transaction.atomic
def professional_archive(
    *, professional: Professional, actor: Any, ip: str | None = None
) -> Professional:
    _set_archived(professional, archived=True, actor=actor, ip=ip)
    return professional


@transaction.atomic
def professional_unarchive(
    *, professional: Professional, actor: Any, ip: str | None = None
) -> Professional:
    _set_archived(professional, archived=False, actor=actor, ip=ip)
    return professional
