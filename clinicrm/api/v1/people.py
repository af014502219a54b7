"""/patients and /professionals: list (search, limit/offset), create, retrieve, update, archive.

Same services and role rules as the pages of the people app: every member sees patients;
professionals are managed by owner, admin and secretary only.
"""

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from clinicrm.api.v1.common import (
    Page,
    PageParams,
    fields_renamed,
    ip_of,
    page_of,
    require_roles,
    tenant_of,
)
from clinicrm.api.v1.schemas import ErrorOut, StrictIn
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import CLINIC_ROLES, User
from clinicrm.core.services import audit_log_record
from clinicrm.core.tenancy import tenant_get_or_404
from clinicrm.people import selectors
from clinicrm.people import services as people_services
from clinicrm.people.models import Patient, Professional

router = Router(tags=["pacientes e profissionais"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
PROFESSIONAL_ROLES = CLINIC_ROLES


class ListParams(PageParams):
    search: str = Field("", max_length=100, description="Nome, CPF, telefone ou e-mail.")
    status: Literal["active", "archived", "all"] = "active"


# --- patients ----------------------------------------------------------------------------------


class PatientOut(Schema):
    id: int
    full_name: str
    social_name: str
    cpf: str
    birth_date: dt.date | None
    notes: str
    is_active: bool
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class PatientListItem(PatientOut):
    primary_phone: str | None = None
    primary_email: str | None = None


class PatientPage(Page):
    items: list[PatientListItem]


class PatientIn(StrictIn):
    full_name: str = Field(..., max_length=200)
    social_name: str = Field("", max_length=200)
    cpf: str = Field("", max_length=20, description="Com ou sem pontuação.")
    birth_date: dt.date | None = None
    notes: str = Field("", max_length=5000)


class PatientPatch(StrictIn):
    full_name: str | None = Field(None, max_length=200)
    social_name: str | None = Field(None, max_length=200)
    cpf: str | None = Field(None, max_length=20)
    birth_date: dt.date | None = None
    notes: str | None = Field(None, max_length=5000)


def _patient(request: HttpRequest, patient_id: int) -> Patient:
    return tenant_get_or_404(Patient, tenant=tenant_of(request), pk=patient_id)


def _filters(params: ListParams) -> selectors.ListFilters:
    return selectors.ListFilters(query=" ".join(params.search.split()), status=params.status)


def _patch_data(payload: StrictIn, *, not_null: set[str]) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    for key in sorted(not_null & set(data)):
        if data[key] is None:
            raise ApplicationError("Este campo não pode ser nulo.", field=key)
    return data


@router.get("/patients", response={200: PatientPage, **ERRORS}, url_name="patient_list")
def patient_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    qs = selectors.patient_list(tenant=tenant_of(request), filters=_filters(params))
    return page_of(qs, limit=params.limit, offset=params.offset)


@router.post("/patients", response={201: PatientOut, **ERRORS}, url_name="patient_create")
def patient_create(request: HttpRequest, payload: PatientIn) -> Status[Patient]:
    patient = people_services.patient_create(
        tenant=tenant_of(request), actor=request.user, ip=ip_of(request), **payload.model_dump()
    )
    return Status(201, patient)


@router.get(
    "/patients/{int:patient_id}", response={200: PatientOut, **ERRORS}, url_name="patient_detail"
)
def patient_detail(request: HttpRequest, patient_id: int) -> Patient:
    patient = _patient(request, patient_id)
    audit_log_record(  # every read of a patient's record is audited (LGPD)
        action="patient.view",
        user=request.user,
        tenant=tenant_of(request),
        obj=patient,
        ip=ip_of(request),
        details={"via": "api"},
    )
    return patient


@router.patch(
    "/patients/{int:patient_id}", response={200: PatientOut, **ERRORS}, url_name="patient_update"
)
def patient_update(request: HttpRequest, patient_id: int, payload: PatientPatch) -> Patient:
    patient = _patient(request, patient_id)
    data = _patch_data(payload, not_null={"full_name", "social_name", "cpf", "notes"})
    return people_services.patient_update(
        patient=patient, actor=request.user, data=data, ip=ip_of(request)
    )


@router.post(
    "/patients/{int:patient_id}/archive",
    response={200: PatientOut, **ERRORS},
    url_name="patient_archive",
)
def patient_archive(request: HttpRequest, patient_id: int) -> Patient:
    patient = _patient(request, patient_id)
    return people_services.patient_archive(patient=patient, actor=request.user, ip=ip_of(request))


@router.post(
    "/patients/{int:patient_id}/unarchive",
    response={200: PatientOut, **ERRORS},
    url_name="patient_unarchive",
)
def patient_unarchive(request: HttpRequest, patient_id: int) -> Patient:
    patient = _patient(request, patient_id)
    return people_services.patient_unarchive(patient=patient, actor=request.user, ip=ip_of(request))


# --- professionals -----------------------------------------------------------------------------


class ProfessionalOut(Schema):
    id: int
    full_name: str
    specialty: str
    council_registration: str
    session_minutes: int
    user_id: uuid.UUID | None
    is_active: bool
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ProfessionalListItem(ProfessionalOut):
    primary_phone: str | None = None
    primary_email: str | None = None


class ProfessionalPage(Page):
    items: list[ProfessionalListItem]


class ProfessionalIn(StrictIn):
    full_name: str = Field(..., max_length=200)
    specialty: str = Field("", max_length=120)
    council_registration: str = Field("", max_length=40)
    session_minutes: int = 50
    user_id: uuid.UUID | None = Field(
        None, description="Membro da clínica que é este profissional."
    )


class ProfessionalPatch(StrictIn):
    full_name: str | None = Field(None, max_length=200)
    specialty: str | None = Field(None, max_length=120)
    council_registration: str | None = Field(None, max_length=40)
    session_minutes: int | None = None
    user_id: uuid.UUID | None = None


def _professional(request: HttpRequest, professional_id: int) -> Professional:
    require_roles(request, PROFESSIONAL_ROLES)
    return tenant_get_or_404(Professional, tenant=tenant_of(request), pk=professional_id)


def _member_user(request: HttpRequest, user_id: uuid.UUID | None) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, memberships__tenant=tenant_of(request)).first()
    if user is None:
        raise ApplicationError("Usuário não encontrado entre os membros.", field="user_id")
    return user


USER_FIELD = {"user": "user_id"}


@router.get(
    "/professionals", response={200: ProfessionalPage, **ERRORS}, url_name="professional_list"
)
def professional_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    require_roles(request, PROFESSIONAL_ROLES)
    qs = selectors.professional_list(tenant=tenant_of(request), filters=_filters(params))
    return page_of(qs, limit=params.limit, offset=params.offset)


@router.post(
    "/professionals", response={201: ProfessionalOut, **ERRORS}, url_name="professional_create"
)
def professional_create(request: HttpRequest, payload: ProfessionalIn) -> Status[Professional]:
    require_roles(request, PROFESSIONAL_ROLES)
    data = payload.model_dump()
    user = _member_user(request, data.pop("user_id"))
    with fields_renamed(USER_FIELD):
        professional = people_services.professional_create(
            tenant=tenant_of(request), actor=request.user, ip=ip_of(request), user=user, **data
        )
    return Status(201, professional)


@router.get(
    "/professionals/{int:professional_id}",
    response={200: ProfessionalOut, **ERRORS},
    url_name="professional_detail",
)
def professional_detail(request: HttpRequest, professional_id: int) -> Professional:
    return _professional(request, professional_id)


@router.patch(
    "/professionals/{int:professional_id}",
    response={200: ProfessionalOut, **ERRORS},
    url_name="professional_update",
)
def professional_update(
    request: HttpRequest, professional_id: int, payload: ProfessionalPatch
) -> Professional:
    professional = _professional(request, professional_id)
    data = _patch_data(
        payload,
        not_null={"full_name", "specialty", "council_registration", "session_minutes"},
    )
    if "user_id" in data:
        data["user"] = _member_user(request, data.pop("user_id"))
    with fields_renamed(USER_FIELD):
        return people_services.professional_update(
            professional=professional, actor=request.user, data=data, ip=ip_of(request)
        )


@router.post(
    "/professionals/{int:professional_id}/archive",
    response={200: ProfessionalOut, **ERRORS},
    url_name="professional_archive",
)
def professional_archive(request: HttpRequest, professional_id: int) -> Professional:
    professional = _professional(request, professional_id)
    return people_services.professional_archive(
        professional=professional, actor=request.user, ip=ip_of(request)
    )


@router.post(
    "/professionals/{int:professional_id}/unarchive",
    response={200: ProfessionalOut, **ERRORS},
    url_name="professional_unarchive",
)
def professional_unarchive(request: HttpRequest, professional_id: int) -> Professional:
    professional = _professional(request, professional_id)
    return people_services.professional_unarchive(
        professional=professional, actor=request.user, ip=ip_of(request)
    )
