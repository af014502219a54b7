"""Tenant-isolation walker hooks for the compliance app."""

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from clinicrm.compliance.intake.models import IntakeInvite, IntakeSubmission
from clinicrm.compliance.lgpd.services import patient_export_token
from clinicrm.compliance.models import PatientExport
from clinicrm.core.models import Tenant
from clinicrm.core.services import audit_log_record
from clinicrm.people.models import Patient


def _audit_row(tenant: Tenant) -> str:
    return str(audit_log_record(action="patient.update", tenant=tenant, object_type="patient").pk)


def _export(tenant: Tenant) -> PatientExport:
    patient = Patient.objects.create(tenant=tenant, full_name="Paciente Exportado")
    return PatientExport.objects.create(
        tenant=tenant, patient=patient, format="json", status="ready", file_path="x/y.json"
    )


def _export_token(tenant: Tenant) -> str:
    return patient_export_token(export=_export(tenant))


def _invite(tenant: Tenant) -> IntakeInvite:
    return IntakeInvite.objects.create(
        tenant=tenant, name="Convidada", expires_at=timezone.now() + dt.timedelta(days=7)
    )


def _submission(tenant: Tenant) -> str:
    submission = IntakeSubmission.objects.create(
        tenant=tenant,
        invite=_invite(tenant),
        full_name="Paciente Convidada",
        cpf="52998224725",
        birth_date=dt.date(1990, 5, 1),
        phone_e164="+5511988887777",
        consent_terms_version="t",
        consented_at=timezone.now(),
    )
    return str(submission.pk)


FACTORIES: dict[str, Callable[[Tenant], str]] = {
    "invite_id": lambda tenant: str(_invite(tenant).pk),
    "submission_id": _submission,
    "audit_id": _audit_row,
    "export_id": lambda tenant: str(_export(tenant).pk),
    "export_token": _export_token,
}

EXEMPT: dict[str, str] = {
    "compliance:intake_public": (
        "public patient intake form: the signed token, not a session or tenant, authorizes it; "
        "forged, expired and used links are refused (compliance/tests/test_intake.py)"
    ),
}
