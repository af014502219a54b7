"""/patients/{id}/erase: the LGPD erasure of a patient (owners and admins), as on the record's
"LGPD" tab: the body repeats the patient's full name as confirmation."""

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema

from clinicrm.api.v1.common import ip_of, require_roles, tenant_of
from clinicrm.api.v1.schemas import ErrorOut, StrictIn
from clinicrm.compliance.lgpd.erase import (
    MSG_CONFIRM,
    patient_erase,
    patient_erase_confirmation_ok,
)
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import MANAGER_ROLES
from clinicrm.core.tenancy import tenant_get_or_404
from clinicrm.people.models import Patient

router = Router(tags=["LGPD"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class EraseIn(StrictIn):
    confirm_name: str = Field(..., max_length=200, description="O nome completo do paciente.")


class EraseOut(Schema):
    patient_id: int
    already_erased: bool
    erased_at: dt.datetime
    message: str
    counts: dict[str, int]


@router.post(
    "/patients/{int:patient_id}/erase",
    response={200: EraseOut, **ERRORS},
    url_name="patient_erase",
)
def patient_erase_api(request: HttpRequest, patient_id: int, payload: EraseIn) -> EraseOut:
    require_roles(request, MANAGER_ROLES)
    tenant = tenant_of(request)
    patient = tenant_get_or_404(Patient, tenant=tenant, pk=patient_id)
    if not patient_erase_confirmation_ok(patient=patient, typed=payload.confirm_name):
        raise ApplicationError(MSG_CONFIRM, field="confirm_name")
    result = patient_erase(tenant=tenant, patient=patient, actor=request.user, ip=ip_of(request))
    return EraseOut(
        patient_id=patient.pk,
        already_erased=result.already,
        erased_at=result.erasure.erased_at,
        message=result.message,
        counts=result.erasure.counts,
    )
