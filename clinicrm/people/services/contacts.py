"""Phones and e-mails of any entity (patient, professional, ...).

Rules: the first phone/e-mail of an entity becomes primary; setting a primary unsets the others
in the same transaction; removing the primary promotes the oldest remaining one. Every write
locks the owning entity row first, so concurrent writers on one entity take turns and the
partial unique index (one primary per entity) is never the thing that trips.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import TenantModel
from clinicrm.core.rls import rls_bypass
from clinicrm.core.services import audit_log_record
from clinicrm.people.entities import ENTITY_MODELS, entity_lock, entity_type_of
from clinicrm.people.extensions import patient_writable_check
from clinicrm.people.models import (
    ContactEmail,
    ContactEmailType,
    ContactPhone,
    ContactType,
    Patient,
)
from clinicrm.people.phones import phone_canonicalize

DEFAULT_PHONE_TYPE = "celular"
DEFAULT_EMAIL_TYPE = "pessoal"
# Same rows as migration 0002 (migrations must not import app code, hence the copy).
SYSTEM_PHONE_TYPES = (
    ("celular", "Celular", 10),
    ("residencial", "Residencial", 20),
    ("comercial", "Comercial", 30),
    ("recado", "Recado", 40),
)
SYSTEM_EMAIL_TYPES = (("pessoal", "Pessoal", 10), ("trabalho", "Trabalho", 20))
EMAIL_INVALID = "E-mail inválido. Confira o endereço, por exemplo nome@exemplo.com.br."


def email_normalize(raw: str, *, field: str = "email") -> str:
    value = (raw or "").strip().lower()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ApplicationError(EMAIL_INVALID, field=field) from exc
    if len(value) > 254:
        raise ApplicationError(EMAIL_INVALID, field=field)
    return value


def system_contact_types_ensure() -> None:
    """Recreate missing system types. The seed migration creates them; this only matters when
    something emptied the tables (a flush between transactional tests, a botched restore)."""
    for model, rows in ((ContactType, SYSTEM_PHONE_TYPES), (ContactEmailType, SYSTEM_EMAIL_TYPES)):
        if model.objects.filter(tenant=None).count() >= len(rows):
            continue
        # Rows of no clinic: every clinic reads them, only the bypass writes them (core/rls.py).
        with rls_bypass():
            for code, label, order in rows:
                model.objects.get_or_create(
                    tenant=None, code=code, defaults={"label": label, "sort_order": order}
                )


def _phone_type(tenant_id: Any, contact_type: ContactType | None) -> ContactType:
    if contact_type is None:
        system_contact_types_ensure()
        return ContactType.objects.get(tenant=None, code=DEFAULT_PHONE_TYPE)
    if contact_type.tenant_id not in (None, tenant_id):
        raise ApplicationError("Tipo de telefone inválido.", field="contact_type")
    return contact_type


def _email_type(tenant_id: Any, email_type: ContactEmailType | None) -> ContactEmailType:
    if email_type is None:
        system_contact_types_ensure()
        return ContactEmailType.objects.get(tenant=None, code=DEFAULT_EMAIL_TYPE)
    if email_type.tenant_id not in (None, tenant_id):
        raise ApplicationError("Tipo de e-mail inválido.", field="email_type")
    return email_type


def _audit(
    action: str, obj: ContactPhone | ContactEmail, actor: Any, ip: str | None, **d: Any
) -> None:
    audit_log_record(
        action=action,
        user=actor,
        tenant=obj.tenant,
        obj=obj,
        ip=ip,
        details={"entity_type": obj.entity_type, "entity_id": obj.entity_id, **d},
    )


def _siblings(model: type[ContactPhone] | type[ContactEmail], obj: Any) -> Any:
    return model.objects.filter(
        tenant_id=obj.tenant_id, entity_type=obj.entity_type, entity_id=obj.entity_id
    )


def _owner_writable(owner: Any) -> None:
    if isinstance(owner, Patient):  # an erased patient's record is read-only (extensions)
        patient_writable_check(patient=owner)


def _lock_owner_of(obj: ContactPhone | ContactEmail) -> None:
    model = ENTITY_MODELS[obj.entity_type]
    owner = (
        model._default_manager.select_for_update()
        .filter(pk=obj.entity_id, tenant=obj.tenant_id)
        .first()
    )
    _owner_writable(owner)


# --- phones ------------------------------------------------------------------------------------


@transaction.atomic
def contact_phone_add(
    *,
    entity: TenantModel,
    actor: Any,
    number: str,
    contact_type: ContactType | None = None,
    whatsapp_linked: bool = False,
    provider_raw_id: str = "",
    is_primary: bool = False,
    ip: str | None = None,
) -> ContactPhone:
    """Add a phone to `entity` (a Patient or Professional). `number` in any usual Brazilian
    form; stored E.164. Default type "celular". The first phone becomes primary."""
    e164 = phone_canonicalize(number, field="number")
    entity_type = entity_type_of(entity)
    ctype = _phone_type(entity.tenant_id, contact_type)
    _owner_writable(entity_lock(entity))
    siblings = ContactPhone.objects.filter(
        tenant_id=entity.tenant_id, entity_type=entity_type, entity_id=entity.pk
    )
    if siblings.filter(number_e164=e164).exists():
        raise ApplicationError("Este telefone já está cadastrado.", field="number")
    is_primary = _primary_claim(siblings, wanted=is_primary)
    phone = ContactPhone.objects.create(
        tenant_id=entity.tenant_id,
        entity_type=entity_type,
        entity_id=entity.pk,
        contact_type=ctype,
        number_e164=e164,
        is_primary=is_primary,
        whatsapp_linked=whatsapp_linked,
        provider_raw_id=provider_raw_id or "",
    )
    _audit("contact_phone.create", phone, actor, ip, fields=["number_e164", "contact_type"])
    return phone


@transaction.atomic
def contact_phone_update(
    *,
    phone: ContactPhone,
    actor: Any,
    number: str | None = None,
    contact_type: ContactType | None = None,
    whatsapp_linked: bool | None = None,
    provider_raw_id: str | None = None,
    ip: str | None = None,
) -> ContactPhone:
    """Change the number, type or WhatsApp flags of `phone`; None leaves a field as it is."""
    _lock_owner_of(phone)
    changes: dict[str, Any] = {}
    if number is not None:
        e164 = phone_canonicalize(number, field="number")
        if e164 != phone.number_e164:
            if _siblings(ContactPhone, phone).filter(number_e164=e164).exists():
                raise ApplicationError("Este telefone já está cadastrado.", field="number")
            changes["number_e164"] = e164
    if contact_type is not None and contact_type.pk != phone.contact_type_id:
        changes["contact_type"] = _phone_type(phone.tenant_id, contact_type)
    if whatsapp_linked is not None and whatsapp_linked != phone.whatsapp_linked:
        changes["whatsapp_linked"] = whatsapp_linked
    if provider_raw_id is not None and provider_raw_id != phone.provider_raw_id:
        changes["provider_raw_id"] = provider_raw_id
    _apply_changes(phone, changes, actor, ip, "contact_phone.update")
    return phone


def _primary_claim(siblings: Any, *, wanted: bool) -> bool:
    """Whether a new contact becomes primary: when asked (the others step down) or when it is
    the entity's first of its kind."""
    has_primary = siblings.filter(is_primary=True).exists()
    if wanted and has_primary:
        siblings.filter(is_primary=True).update(is_primary=False)
    return wanted or not has_primary


def _apply_changes(
    obj: ContactPhone | ContactEmail,
    changes: dict[str, Any],
    actor: Any,
    ip: str | None,
    action: str,
) -> None:
    if not changes:
        return
    for key, value in changes.items():
        setattr(obj, key, value)
    obj.save(update_fields=[*changes, "updated_at"])
    _audit(action, obj, actor, ip, fields=sorted(changes))


def _remove(model: Any, obj: Any, actor: Any, ip: str | None, action: str) -> None:
    _lock_owner_of(obj)
    was_primary, pk = obj.is_primary, obj.pk
    obj.delete()
    obj.pk = pk  # keep the id for the audit row
    if was_primary:
        successor = _siblings(model, obj).order_by("id").first()
        if successor is not None:
            successor.is_primary = True
            successor.save(update_fields=["is_primary", "updated_at"])
    _audit(action, obj, actor, ip, promoted=bool(was_primary))


def _set_primary(model: Any, obj: Any, actor: Any, ip: str | None, action: str) -> Any:
    _lock_owner_of(obj)
    obj.refresh_from_db()
    if not obj.is_primary:
        # Unset first: the partial unique index allows at most one primary at any instant.
        _siblings(model, obj).filter(is_primary=True).update(is_primary=False)
        obj.is_primary = True
        obj.save(update_fields=["is_primary", "updated_at"])
        _audit(action, obj, actor, ip, fields=["is_primary"])
    return obj


@transaction.atomic
def contact_phone_remove(*, phone: ContactPhone, actor: Any, ip: str | None = None) -> None:
    _remove(ContactPhone, phone, actor, ip, "contact_phone.delete")


@transaction.atomic
def contact_phone_set_primary(
    *, phone: ContactPhone, actor: Any, ip: str | None = None
) -> ContactPhone:
    return _set_primary(ContactPhone, phone, actor, ip, "contact_phone.set_primary")


# --- e-mails -----------------------------------------------------------------------------------


@transaction.atomic
def contact_email_add(
    *,
    entity: TenantModel,
    actor: Any,
    email: str,
    email_type: ContactEmailType | None = None,
    is_primary: bool = False,
    ip: str | None = None,
) -> ContactEmail:
    """Add an e-mail to `entity`. Default type "pessoal". The first e-mail becomes primary."""
    value = email_normalize(email)
    entity_type = entity_type_of(entity)
    etype = _email_type(entity.tenant_id, email_type)
    _owner_writable(entity_lock(entity))
    siblings = ContactEmail.objects.filter(
        tenant_id=entity.tenant_id, entity_type=entity_type, entity_id=entity.pk
    )
    if siblings.filter(email=value).exists():
        raise ApplicationError("Este e-mail já está cadastrado.", field="email")
    is_primary = _primary_claim(siblings, wanted=is_primary)
    obj = ContactEmail.objects.create(
        tenant_id=entity.tenant_id,
        entity_type=entity_type,
        entity_id=entity.pk,
        email_type=etype,
        email=value,
        is_primary=is_primary,
    )
    _audit("contact_email.create", obj, actor, ip, fields=["email", "email_type"])
    return obj


@transaction.atomic
def contact_email_update(
    *,
    email_obj: ContactEmail,
    actor: Any,
    email: str | None = None,
    email_type: ContactEmailType | None = None,
    ip: str | None = None,
) -> ContactEmail:
    _lock_owner_of(email_obj)
    changes: dict[str, Any] = {}
    if email is not None:
        value = email_normalize(email)
        if value != email_obj.email:
            if _siblings(ContactEmail, email_obj).filter(email=value).exists():
                raise ApplicationError("Este e-mail já está cadastrado.", field="email")
            changes["email"] = value
    if email_type is not None and email_type.pk != email_obj.email_type_id:
        changes["email_type"] = _email_type(email_obj.tenant_id, email_type)
    _apply_changes(email_obj, changes, actor, ip, "contact_email.update")
    return email_obj


@transaction.atomic
def contact_email_remove(*, email_obj: ContactEmail, actor: Any, ip: str | None = None) -> None:
    _remove(ContactEmail, email_obj, actor, ip, "contact_email.delete")


@transaction.atomic
def contact_email_set_primary(
    *, email_obj: ContactEmail, actor: Any, ip: str | None = None
) -> ContactEmail:
    return _set_primary(ContactEmail, email_obj, actor, ip, "contact_email.set_primary")


def contact_types_for(*, tenant_id: Any) -> Any:
    """Phone types usable by a tenant: system rows plus its own."""
    system_contact_types_ensure()
    return ContactType.objects.filter(Q(tenant__isnull=True) | Q(tenant_id=tenant_id))


def contact_email_types_for(*, tenant_id: Any) -> Any:
    system_contact_types_ensure()
    return ContactEmailType.objects.filter(Q(tenant__isnull=True) | Q(tenant_id=tenant_id))
