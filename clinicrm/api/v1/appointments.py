"""/appointments: list by date range and professional, create, retrieve, update, status change.

Dates and times are São Paulo wall-clock (date + start + end), as people type them in the UI;
`starts_at`/`ends_at` are also returned as aware ISO datetimes. Role rule of the agenda pages:
a member with the professional role sees and manages only the agenda of the professional
linked to their login (403 otherwise); other roles manage everyone's.
"""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from clinicrm.agenda import selectors as agenda_selectors
from clinicrm.agenda import services as agenda_services
from clinicrm.agenda.models import Appointment
from clinicrm.api.v1.common import (
    MAX_LIMIT,
    ApiDate,
    Page,
    PageParams,
    fields_renamed,
    ip_of,
    role_of,
    tenant_of,
)
from clinicrm.api.v1.schemas import ErrorOut, StrictIn
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Role
from clinicrm.core.tenancy import tenant_get_or_404
from clinicrm.core.timeutils import SAO_PAULO, local_datetime, local_today

router = Router(tags=["agenda"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
MAX_RANGE_DAYS = 62
StatusLiteral = Literal["scheduled", "confirmed", "cancelled", "attended", "no_show"]
# Services name the model fields; the API names its JSON keys.
FIELD_NAMES = {"professional": "professional_id", "patient": "patient_id", "starts_at": "start"}
FIELD_NAMES_END = {**FIELD_NAMES, "ends_at": "end"}


class AppointmentOut(Schema):
    id: int
    professional_id: int
    professional_name: str = Field(..., alias="professional.full_name")
    patient_id: int
    patient_name: str = Field(..., alias="patient.full_name")
    date: dt.date
    start: dt.time
    end: dt.time
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    notes: str

    @staticmethod
    def resolve_date(obj: Appointment) -> dt.date:
        return obj.starts_at.astimezone(SAO_PAULO).date()

    @staticmethod
    def resolve_start(obj: Appointment) -> dt.time:
        return obj.starts_at.astimezone(SAO_PAULO).time().replace(tzinfo=None)

    @staticmethod
    def resolve_end(obj: Appointment) -> dt.time:
        return obj.ends_at.astimezone(SAO_PAULO).time().replace(tzinfo=None)


class AppointmentPage(Page):
    items: list[AppointmentOut]


class AppointmentIn(StrictIn):
    professional_id: int
    patient_id: int
    date: ApiDate = Field(..., description="Dia (horário de São Paulo).")
    start: dt.time = Field(..., description="Início, HH:MM (São Paulo).")
    end: dt.time = Field(..., description="Término, HH:MM (São Paulo).")
    status: StatusLiteral = "scheduled"
    notes: str = Field("", max_length=5000)
    confirm_warnings: bool = Field(
        False,
        description="Salvar mesmo fora do horário do profissional, num feriado ou com o "
        "paciente em outra consulta no mesmo horário (sem isto: 400, campo confirm_warnings).",
    )


class AppointmentPatch(StrictIn):
    professional_id: int | None = None
    patient_id: int | None = None
    date: ApiDate | None = None
    start: dt.time | None = None
    end: dt.time | None = None
    status: StatusLiteral | None = None
    notes: str | None = Field(None, max_length=5000)
    confirm_warnings: bool = False


class StatusIn(StrictIn):
    status: StatusLiteral


class ListParams(PageParams):
    start: ApiDate | None = Field(None, description="Primeiro dia (padrão: hoje).")
    end: ApiDate | None = Field(None, description="Último dia, incluso (padrão: start + 6).")
    professional_id: int | None = None
    status: StatusLiteral | None = None
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


def _own_professional_id(request: HttpRequest) -> int | None:
    """For a professional member: the id of their own professional (None if unlinked)."""
    professional = agenda_selectors.professional_for_user(
        tenant=tenant_of(request), user=request.user
    )
    return professional.pk if professional else None


def _ensure_can_manage(request: HttpRequest, professional_id: int) -> None:
    if role_of(request) == Role.PROFESSIONAL and professional_id != _own_professional_id(request):
        raise PermissionDenied


def _appointment(request: HttpRequest, appointment_id: int) -> Appointment:
    appointment = tenant_get_or_404(
        Appointment.objects.select_related("professional", "patient"),
        tenant=tenant_of(request),
        pk=appointment_id,
    )
    _ensure_can_manage(request, appointment.professional_id)
    return appointment


def _interval(day: dt.date, start: dt.time, end: dt.time) -> tuple[dt.datetime, dt.datetime]:
    return local_datetime(day, start.replace(tzinfo=None)), local_datetime(
        day, end.replace(tzinfo=None)
    )


@router.get("/appointments", response={200: AppointmentPage, **ERRORS}, url_name="appointment_list")
def appointment_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    first = params.start or local_today()
    last = params.end or first + dt.timedelta(days=6)
    if last < first:
        raise ApplicationError("O fim do período deve ser depois do início.", field="end")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise ApplicationError(f"O período pode ter no máximo {MAX_RANGE_DAYS} dias.", field="end")
    professional_ids: list[int] | None = None
    if params.professional_id is not None:
        professional_ids = [params.professional_id]
    if role_of(request) == Role.PROFESSIONAL:
        own = _own_professional_id(request)
        if params.professional_id is not None and params.professional_id != own:
            raise PermissionDenied
        professional_ids = [own] if own is not None else []
    qs: QuerySet[Appointment] = agenda_selectors.appointments_between(
        tenant=tenant_of(request),
        start=local_datetime(first, dt.time(0, 0)),
        end=local_datetime(last + dt.timedelta(days=1), dt.time(0, 0)),
        professional_ids=professional_ids,
    )
    if params.status:
        qs = qs.filter(status=params.status)
    return {
        "count": qs.count(),
        "limit": params.limit,
        "offset": params.offset,
        "items": list(qs[params.offset : params.offset + params.limit]),
    }


@router.post(
    "/appointments", response={201: AppointmentOut, **ERRORS}, url_name="appointment_create"
)
def appointment_create(request: HttpRequest, payload: AppointmentIn) -> Status[Appointment]:
    _ensure_can_manage(request, payload.professional_id)
    starts_at, ends_at = _interval(payload.date, payload.start, payload.end)
    with fields_renamed(FIELD_NAMES_END):
        appointment = agenda_services.appointment_create(
            tenant=tenant_of(request),
            actor=request.user,
            professional_id=payload.professional_id,
            patient_id=payload.patient_id,
            starts_at=starts_at,
            ends_at=ends_at,
            status=payload.status,
            notes=payload.notes,
            ip=ip_of(request),
            warnings_confirmed=payload.confirm_warnings,
        )
    return Status(201, appointment)


@router.get(
    "/appointments/{int:appointment_id}",
    response={200: AppointmentOut, **ERRORS},
    url_name="appointment_detail",
)
def appointment_detail(request: HttpRequest, appointment_id: int) -> Appointment:
    return _appointment(request, appointment_id)


@router.patch(
    "/appointments/{int:appointment_id}",
    response={200: AppointmentOut, **ERRORS},
    url_name="appointment_update",
)
def appointment_update(
    request: HttpRequest, appointment_id: int, payload: AppointmentPatch
) -> Appointment:
    appointment = _appointment(request, appointment_id)
    data = payload.model_dump(exclude_unset=True)
    for key in sorted(data):
        if data[key] is None:
            raise ApplicationError("Este campo não pode ser nulo.", field=key)
    local_start = appointment.starts_at.astimezone(SAO_PAULO)
    local_end = appointment.ends_at.astimezone(SAO_PAULO)
    professional_id = data.get("professional_id", appointment.professional_id)
    _ensure_can_manage(request, professional_id)
    starts_at, ends_at = _interval(
        data.get("date", local_start.date()),
        data.get("start", local_start.time()),
        data.get("end", local_end.time()),
    )
    with fields_renamed(FIELD_NAMES_END):
        return agenda_services.appointment_update(
            appointment=appointment,
            actor=request.user,
            professional_id=professional_id,
            patient_id=data.get("patient_id", appointment.patient_id),
            starts_at=starts_at,
            ends_at=ends_at,
            status=data.get("status", appointment.status),
            notes=data.get("notes", appointment.notes),
            ip=ip_of(request),
            warnings_confirmed=bool(data.get("confirm_warnings")),
        )


@router.post(
    "/appointments/{int:appointment_id}/status",
    response={200: AppointmentOut, **ERRORS},
    url_name="appointment_status",
)
def appointment_status(request: HttpRequest, appointment_id: int, payload: StatusIn) -> Any:
    appointment = _appointment(request, appointment_id)
    updated = agenda_services.appointment_set_status(
        appointment=appointment, actor=request.user, status=payload.status, ip=ip_of(request)
    )
    return Appointment.objects.select_related("professional", "patient").get(pk=updated.pk)
