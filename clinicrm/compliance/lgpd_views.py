"""LGPD pages of the patient record's "LGPD" tab: export (request, status, download through
the signed link) and erasure (a dialog that asks for the patient's name). Owners and admins."""

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from clinicrm.compliance.lgpd.erase import (
    MSG_CONFIRM,
    patient_erase,
    patient_erase_confirmation_ok,
)
from clinicrm.compliance.lgpd.render import CONTENT_TYPES, EXTENSIONS
from clinicrm.compliance.lgpd.services import (
    export_link_seconds,
    patient_export_download_record,
    patient_export_for_token,
    patient_export_request,
    patient_export_token,
)
from clinicrm.compliance.models import ExportFormat, ExportStatus, PatientErasure, PatientExport
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import MANAGER_ROLES
from clinicrm.core.services import client_ip
from clinicrm.core.tenancy import tenant_get_or_404, tenant_required
from clinicrm.people.models import Patient


def lgpd_tab_render(*, request: HttpRequest, patient: Patient) -> SafeString:
    membership = getattr(request, "membership", None)
    manager = membership is not None and membership.role in MANAGER_ROLES
    exports = (
        list(PatientExport.objects.filter(tenant_id=patient.tenant_id, patient=patient)[:10])
        if manager
        else []
    )
    context = {
        "patient": patient,
        "manager": manager,
        "exports": exports,
        "formats": ExportFormat.choices,
        "erasure": PatientErasure.objects.filter(
            tenant_id=patient.tenant_id, patient=patient
        ).first(),
    }
    html = render_to_string("compliance/_lgpd_tab.html", context, request=request)
    return mark_safe(html)  # noqa: S308  # the template's own escaped output


@tenant_required(roles=MANAGER_ROLES)
@require_POST
def patient_export_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    patient = tenant_get_or_404(Patient, tenant=tenant, pk=patient_id)
    try:
        export = patient_export_request(
            tenant=tenant,
            patient=patient,
            fmt=request.POST.get("format", ""),
            actor=request.user,
            ip=client_ip(request),
        )
    except ApplicationError as exc:
        return render(request, "compliance/lgpd_error.html", {"message": exc.message}, status=400)
    return redirect("compliance:export_status", export_id=export.pk)


@tenant_required(roles=MANAGER_ROLES)
@require_GET
def patient_export_status(request: HttpRequest, export_id: str) -> HttpResponse:
    export = tenant_get_or_404(
        PatientExport.objects.select_related("patient"),
        tenant=request.tenant,  # type: ignore[attr-defined]
        pk=export_id,
    )
    live = export.status == ExportStatus.READY and (
        export.expires_at is not None and export.expires_at > timezone.now()
    )
    context = {
        "export": export,
        "live": live,
        "token": patient_export_token(export=export) if live else "",
        "hours": export_link_seconds() // 3600,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "compliance/lgpd_status.html#status", context)
    return render(request, "compliance/lgpd_status.html", context)


@tenant_required(roles=MANAGER_ROLES)
@require_GET
def patient_export_download(request: HttpRequest, export_token: str) -> HttpResponseBase:
    tenant = request.tenant  # type: ignore[attr-defined]
    export = patient_export_for_token(token=export_token, tenant=tenant)
    if export is None:
        message = "Link de download inválido ou expirado. Gere uma nova exportação no prontuário."
        return render(request, "compliance/lgpd_error.html", {"message": message}, status=404)
    patient_export_download_record(export=export, actor=request.user, ip=client_ip(request))
    name = f"dados-paciente-{export.patient_id}.{EXTENSIONS[export.format]}"
    return FileResponse(
        default_storage.open(export.file_path, "rb"),
        as_attachment=True,
        filename=name,
        content_type=CONTENT_TYPES[export.format],
    )


@tenant_required(roles=MANAGER_ROLES)
@require_POST
def patient_erase_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    patient = tenant_get_or_404(Patient, tenant=tenant, pk=patient_id)
    if not patient_erase_confirmation_ok(patient=patient, typed=request.POST.get("confirm", "")):
        context = {"message": MSG_CONFIRM, "patient": patient, "title": "Anonimização (LGPD)"}
        return render(request, "compliance/lgpd_error.html", context, status=400)
    result = patient_erase(
        tenant=tenant, patient=patient, actor=request.user, ip=client_ip(request)
    )
    (messages.info if result.already else messages.success)(request, result.message)
    record = reverse("people:patient_detail", kwargs={"patient_id": patient.pk})
    return redirect(f"{record}?aba=lgpd")
