"""Phones and e-mails of patients and professionals (polymorphic contacts).

/patients/{patient_id}/phones[/{phone_id}[/primary]] and the same for emails and for
/professionals/{professional_id}/... Each route is declared explicitly (thin wrappers over the
shared helpers below) so every URL kwarg keeps its `<model>_id` name.
"""

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from clinicrm.api.v1.common import ip_of, require_roles, tenant_of
from clinicrm.api.v1.schemas import ErrorOut, StrictIn
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import CLINIC_ROLES, TenantModel
from clinicrm.core.tenancy import tenant_get_or_404
from clinicrm.people import selectors
from clinicrm.people import services as people_services
from clinicrm.people.models import (
    ContactEmail,
    ContactEmailType,
    ContactPhone,
    ContactType,
    Patient,
    Professional,
)
from clinicrm.people.services.contacts import contact_email_types_for, contact_types_for

router = Router(tags=["contatos"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class PhoneOut(Schema):
    id: int
    number: str = Field(..., alias="number_e164")
    type: str = Field(..., alias="contact_type.code")
    type_label: str = Field(..., alias="contact_type.label")
    is_primary: bool
    whatsapp_linked: bool


class PhoneIn(StrictIn):
    number: str = Field(..., max_length=40, description="Ex.: (11) 98888-7777 ou +55...")
    type: str | None = Field(None, max_length=40, description="Código do tipo (ex.: celular).")
    whatsapp_linked: bool = False
    is_primary: bool = False


class PhonePatch(StrictIn):
    number: str | None = Field(None, max_length=40)
    type: str | None = Field(None, max_length=40)
    whatsapp_linked: bool | None = None


class EmailOut(Schema):
    id: int
    email: str
    type: str = Field(..., alias="email_type.code")
    type_label: str = Field(..., alias="email_type.label")
    is_primary: bool


class EmailIn(StrictIn):
    email: str = Field(..., max_length=254)
    type: str | None = Field(None, max_length=40)
    is_primary: bool = False


class EmailPatch(StrictIn):
    email: str | None = Field(None, max_length=254)
    type: str | None = Field(None, max_length=40)


# --- shared helpers ----------------------------------------------------------------------------


def _entity(request: HttpRequest, model: type[TenantModel], pk: int) -> TenantModel:
    if model is Professional:
        require_roles(request, CLINIC_ROLES)
    return tenant_get_or_404(model, tenant=tenant_of(request), pk=pk)


def _phone_type(request: HttpRequest, code: str | None) -> ContactType | None:
    if code is None:
        return None
    found = contact_types_for(tenant_id=tenant_of(request).pk).filter(code=code).first()
    if found is None:
        raise ApplicationError("Tipo de telefone inválido.", field="type")
    return found


def _email_type(request: HttpRequest, code: str | None) -> ContactEmailType | None:
    if code is None:
        return None
    found = contact_email_types_for(tenant_id=tenant_of(request).pk).filter(code=code).first()
    if found is None:
        raise ApplicationError("Tipo de e-mail inválido.", field="type")
    return found


def _renamed(exc: ApplicationError) -> ApplicationError:
    if exc.field in {"contact_type", "email_type"}:
        exc.field = "type"
    return exc


def _phone(entity: TenantModel, phone_id: int) -> ContactPhone:
    phone = selectors.entity_phone_get(entity=entity, phone_id=phone_id)
    if phone is None:
        raise Http404
    return phone


def _email(entity: TenantModel, email_id: int) -> ContactEmail:
    obj = selectors.entity_email_get(entity=entity, email_id=email_id)
    if obj is None:
        raise Http404
    return obj


def phones_list(request: HttpRequest, model: type[TenantModel], pk: int) -> list[ContactPhone]:
    return list(selectors.entity_phones(entity=_entity(request, model, pk)))


def phone_add(
    request: HttpRequest, model: type[TenantModel], pk: int, payload: PhoneIn
) -> Status[ContactPhone]:
    entity = _entity(request, model, pk)
    try:
        phone = people_services.contact_phone_add(
            entity=entity,
            actor=request.user,
            number=payload.number,
            contact_type=_phone_type(request, payload.type),
            whatsapp_linked=payload.whatsapp_linked,
            is_primary=payload.is_primary,
            ip=ip_of(request),
        )
    except ApplicationError as exc:
        raise _renamed(exc) from None
    return Status(201, phone)


def phone_update(
    request: HttpRequest, model: type[TenantModel], pk: int, phone_id: int, payload: PhonePatch
) -> ContactPhone:
    phone = _phone(_entity(request, model, pk), phone_id)
    data = payload.model_dump(exclude_unset=True)
    try:
        return people_services.contact_phone_update(
            phone=phone,
            actor=request.user,
            number=data.get("number"),
            contact_type=_phone_type(request, data.get("type")),
            whatsapp_linked=data.get("whatsapp_linked"),
            ip=ip_of(request),
        )
    except ApplicationError as exc:
        raise _renamed(exc) from None


def phone_delete(
    request: HttpRequest, model: type[TenantModel], pk: int, phone_id: int
) -> Status[None]:
    phone = _phone(_entity(request, model, pk), phone_id)
    people_services.contact_phone_remove(phone=phone, actor=request.user, ip=ip_of(request))
    return Status(204, None)


def phone_primary(
    request: HttpRequest, model: type[TenantModel], pk: int, phone_id: int
) -> ContactPhone:
    phone = _phone(_entity(request, model, pk), phone_id)
    return people_services.contact_phone_set_primary(
        phone=phone, actor=request.user, ip=ip_of(request)
    )


def emails_list(request: HttpRequest, model: type[TenantModel], pk: int) -> list[ContactEmail]:
    return list(selectors.entity_emails(entity=_entity(request, model, pk)))


def email_add(
    request: HttpRequest, model: type[TenantModel], pk: int, payload: EmailIn
) -> Status[ContactEmail]:
    entity = _entity(request, model, pk)
    try:
        obj = people_services.contact_email_add(
            entity=entity,
            actor=request.user,
            email=payload.email,
            email_type=_email_type(request, payload.type),
            is_primary=payload.is_primary,
            ip=ip_of(request),
        )
    except ApplicationError as exc:
        raise _renamed(exc) from None
    return Status(201, obj)


def email_update(
    request: HttpRequest, model: type[TenantModel], pk: int, email_id: int, payload: EmailPatch
) -> ContactEmail:
    obj = _email(_entity(request, model, pk), email_id)
    data = payload.model_dump(exclude_unset=True)
    try:
        return people_services.contact_email_update(
            email_obj=obj,
            actor=request.user,
            email=data.get("email"),
            email_type=_email_type(request, data.get("type")),
            ip=ip_of(request),
        )
    except ApplicationError as exc:
        raise _renamed(exc) from None


def email_delete(
    request: HttpRequest, model: type[TenantModel], pk: int, email_id: int
) -> Status[None]:
    obj = _email(_entity(request, model, pk), email_id)
    people_services.contact_email_remove(email_obj=obj, actor=request.user, ip=ip_of(request))
    return Status(204, None)


def email_primary(
    request: HttpRequest, model: type[TenantModel], pk: int, email_id: int
) -> ContactEmail:
    obj = _email(_entity(request, model, pk), email_id)
    return people_services.contact_email_set_primary(
        email_obj=obj, actor=request.user, ip=ip_of(request)
    )


# --- patients' contacts ------------------------------------------------------------------------

P = "/patients/{int:patient_id}"


@router.get(f"{P}/phones", response={200: list[PhoneOut], **ERRORS}, url_name="patient_phones")
def patient_phones(request: HttpRequest, patient_id: int) -> Any:
    return phones_list(request, Patient, patient_id)


@router.post(f"{P}/phones", response={201: PhoneOut, **ERRORS}, url_name="patient_phone_add")
def patient_phone_add(request: HttpRequest, patient_id: int, payload: PhoneIn) -> Any:
    return phone_add(request, Patient, patient_id, payload)


@router.patch(
    f"{P}/phones/{{int:phone_id}}",
    response={200: PhoneOut, **ERRORS},
    url_name="patient_phone_update",
)
def patient_phone_update(
    request: HttpRequest, patient_id: int, phone_id: int, payload: PhonePatch
) -> Any:
    return phone_update(request, Patient, patient_id, phone_id, payload)


@router.delete(
    f"{P}/phones/{{int:phone_id}}", response={204: None, **ERRORS}, url_name="patient_phone_delete"
)
def patient_phone_delete(request: HttpRequest, patient_id: int, phone_id: int) -> Any:
    return phone_delete(request, Patient, patient_id, phone_id)


@router.post(
    f"{P}/phones/{{int:phone_id}}/primary",
    response={200: PhoneOut, **ERRORS},
    url_name="patient_phone_primary",
)
def patient_phone_primary(request: HttpRequest, patient_id: int, phone_id: int) -> Any:
    return phone_primary(request, Patient, patient_id, phone_id)


@router.get(f"{P}/emails", response={200: list[EmailOut], **ERRORS}, url_name="patient_emails")
def patient_emails(request: HttpRequest, patient_id: int) -> Any:
    return emails_list(request, Patient, patient_id)


@router.post(f"{P}/emails", response={201: EmailOut, **ERRORS}, url_name="patient_email_add")
def patient_email_add(request: HttpRequest, patient_id: int, payload: EmailIn) -> Any:
    return email_add(request, Patient, patient_id, payload)


@router.patch(
    f"{P}/emails/{{int:email_id}}",
    response={200: EmailOut, **ERRORS},
    url_name="patient_email_update",
)
def patient_email_update(
    request: HttpRequest, patient_id: int, email_id: int, payload: EmailPatch
) -> Any:
    return email_update(request, Patient, patient_id, email_id, payload)


@router.delete(
    f"{P}/emails/{{int:email_id}}", response={204: None, **ERRORS}, url_name="patient_email_delete"
)
def patient_email_delete(request: HttpRequest, patient_id: int, email_id: int) -> Any:
    return email_delete(request, Patient, patient_id, email_id)


@router.post(
    f"{P}/emails/{{int:email_id}}/primary",
    response={200: EmailOut, **ERRORS},
    url_name="patient_email_primary",
)
def patient_email_primary(request: HttpRequest, patient_id: int, email_id: int) -> Any:
    return email_primary(request, Patient, patient_id, email_id)


# --- professionals' contacts -------------------------------------------------------------------

R = "/professionals/{int:professional_id}"


@router.get(f"{R}/phones", response={200: list[PhoneOut], **ERRORS}, url_name="professional_phones")
def professional_phones(request: HttpRequest, professional_id: int) -> Any:
    return phones_list(request, Professional, professional_id)


@router.post(f"{R}/phones", response={201: PhoneOut, **ERRORS}, url_name="professional_phone_add")
def professional_phone_add(request: HttpRequest, professional_id: int, payload: PhoneIn) -> Any:
    return phone_add(request, Professional, professional_id, payload)


@router.patch(
    f"{R}/phones/{{int:phone_id}}",
    response={200: PhoneOut, **ERRORS},
    url_name="professional_phone_update",
)
def professional_phone_update(
    request: HttpRequest, professional_id: int, phone_id: int, payload: PhonePatch
) -> Any:
    return phone_update(request, Professional, professional_id, phone_id, payload)


@router.delete(
    f"{R}/phones/{{int:phone_id}}",
    response={204: None, **ERRORS},
    url_name="professional_phone_delete",
)
def professional_phone_delete(request: HttpRequest, professional_id: int, phone_id: int) -> Any:
    return phone_delete(request, Professional, professional_id, phone_id)


@router.post(
    f"{R}/phones/{{int:phone_id}}/primary",
    response={200: PhoneOut, **ERRORS},
    url_name="professional_phone_primary",
)
def professional_phone_primary(request: HttpRequest, professional_id: int, phone_id: int) -> Any:
    return phone_primary(request, Professional, professional_id, phone_id)


@router.get(f"{R}/emails", response={200: list[EmailOut], **ERRORS}, url_name="professional_emails")
def professional_emails(request: HttpRequest, professional_id: int) -> Any:
    return emails_list(request, Professional, professional_id)


@router.post(f"{R}/emails", response={201: EmailOut, **ERRORS}, url_name="professional_email_add")
def professional_email_add(request: HttpRequest, professional_id: int, payload: EmailIn) -> Any:
    return email_add(request, Professional, professional_id, payload)


@router.patch(
    f"{R}/emails/{{int:email_id}}",
    response={200: EmailOut, **ERRORS},
    url_name="professional_email_update",
)
def professional_email_update(
    request: HttpRequest, professional_id: int, email_id: int, payload: EmailPatch
) -> Any:
    return email_update(request, Professional, professional_id, email_id, payload)


@router.delete(
    f"{R}/emails/{{int:email_id}}",
    response={204: None, **ERRORS},
    url_name="professional_email_delete",
)
def professional_email_delete(request: HttpRequest, professional_id: int, email_id: int) -> Any:
    return email_delete(request, Professional, professional_id, email_id)


@router.post(
    f"{R}/emails/{{int:email_id}}/primary",
    response={200: EmailOut, **ERRORS},
    url_name="professional_email_primary",
)
def professional_email_primary(request: HttpRequest, professional_id: int, email_id: int) -> Any:
    return email_primary(request, Professional, professional_id, email_id)
