"""LGPD export of one patient: request (audited, task enqueued in the same transaction),
build (task), signed expiring download link (audited on use), expiry (retention job).

One end for everything an export hands out: `expires_at`, `LGPD_EXPORT_LINK_SECONDS` after the
build starts. The download link and the media links inside the file (signed with that end, not
the usual 15 minutes, so they still open when the patient reads the file) die then, and the
retention job deletes the file. Media stay links rather than files in the archive: the JSON and
HTML formats are single files, and a long history's media would make every export heavy.
"""

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from clinicrm.compliance.lgpd.collect import patient_data_collect
from clinicrm.compliance.lgpd.render import EXTENSIONS, RENDERERS
from clinicrm.compliance.models import ExportFormat, ExportStatus, PatientExport
from clinicrm.core.errors import ApplicationError
from clinicrm.core.log_context import log_tenant_set
from clinicrm.core.models import Tenant
from clinicrm.core.notifications import notification_send
from clinicrm.core.services import audit_log_record
from clinicrm.core.timeutils import local_now
from clinicrm.people.models import Patient

SALT = "clinicrm.lgpd-export"
log = logging.getLogger(__name__)


def export_link_seconds() -> int:
    return int(settings.LGPD_EXPORT_LINK_SECONDS)


@transaction.atomic
def patient_export_request(
    *, tenant: Tenant, patient: Patient, fmt: str, actor: Any, ip: str | None = None
) -> PatientExport:
    if fmt not in ExportFormat.values:
        raise ApplicationError("Formato de exportação inválido.", field="format")
    export = PatientExport.objects.create(
        tenant=tenant, patient=patient, requested_by=actor, format=fmt
    )
    patient_export_build_task.enqueue(export_id=str(export.pk))
    audit_log_record(
        action="lgpd.export_request",
        user=actor,
        tenant=tenant,
        obj=patient,
        ip=ip,
        details={"format": fmt, "export": str(export.pk)},
    )
    return export


def patient_export_build(*, export_id: str) -> PatientExport | None:
    export = PatientExport.objects.select_related("patient", "tenant").filter(pk=export_id).first()
    if export is None or export.status != ExportStatus.PENDING:
        return export
    log_tenant_set(export.tenant_id)  # the task's lines (its failure too) name the clinic
    # Set before the media links are signed with it, so none outlives the download link.
    export.expires_at = timezone.now() + dt.timedelta(seconds=export_link_seconds())
    data = patient_data_collect(patient=export.patient, media_until=export.expires_at)
    meta = {
        "clinica": export.tenant.name,
        "paciente": export.patient.full_name,
        "gerado_em": local_now().strftime("%d/%m/%Y %H:%M"),
        "formato": export.format,
    }
    content = RENDERERS[export.format](data, meta)
    path = f"{export.tenant_id}/lgpd/{export.pk}.{EXTENSIONS[export.format]}"
    saved = default_storage.save(path, ContentFile(content))
    export.file_path = saved
    export.status = ExportStatus.READY
    export.ready_at = timezone.now()
    export.counts = {kind: len(rows) for kind, rows in data.items()}
    export.save(update_fields=["file_path", "status", "ready_at", "expires_at", "counts"])
    if export.requested_by_id:
        notification_send(
            tenant=export.tenant,
            user_ids=[export.requested_by_id],
            kind="lgpd.export_ready",
            title="Exportação LGPD pronta",
            body=(
                "A exportação de dados que você pediu está pronta para baixar. O link vale "
                f"{export_link_seconds() // 3600} horas."
            ),
            url=reverse("compliance:export_status", kwargs={"export_id": export.pk}),
        )
    return export


def patient_export_fail(*, export_id: str) -> None:
    PatientExport.objects.filter(pk=export_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.FAILED
    )


def patient_export_token(*, export: PatientExport) -> str:
    return signing.dumps({"e": str(export.pk), "t": str(export.tenant_id)}, salt=SALT)


def patient_export_for_token(*, token: str, tenant: Tenant) -> PatientExport | None:
    """The ready export a link names, if the link is genuine, unexpired (neither the link nor
    the export) and of `tenant`."""
    try:
        data = signing.loads(token, salt=SALT, max_age=export_link_seconds())
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(data, dict) or data.get("t") != str(tenant.pk):
        return None
    return PatientExport.objects.filter(
        tenant=tenant,
        pk=str(data.get("e")),
        status=ExportStatus.READY,
        expires_at__gt=timezone.now(),
    ).first()


def patient_exports_expire() -> int:
    """Retention: the file of every export whose link has ended is deleted and the export
    marked expired, with an audit row in its clinic. Each export touches only its own file
    (under its clinic's folder). Idempotent: the file goes first, so a run cut short leaves a
    ready export whose next run deletes nothing more and marks it. Returns how many expired."""
    due = PatientExport.objects.filter(status=ExportStatus.READY, expires_at__lte=timezone.now())
    expired = 0
    for export in due.select_related("tenant").iterator():
        path = export.file_path
        if path and not path.startswith(f"{export.tenant_id}/lgpd/"):
            log.warning("lgpd export %s names a file outside its clinic's folder", export.pk)
        elif path:
            try:
                default_storage.delete(path)
            except OSError:
                log.warning("lgpd export file not deleted, retried next run: %s", export.pk)
                continue
        with transaction.atomic():
            if not PatientExport.objects.filter(pk=export.pk, status=ExportStatus.READY).update(
                status=ExportStatus.EXPIRED, file_path=""
            ):
                continue  # another run got there first
            audit_log_record(
                action="lgpd.export_expire",
                tenant=export.tenant,
                object_type="patient",
                object_id=str(export.patient_id),
                details={"format": export.format, "export": str(export.pk), "fields": ["file"]},
            )
        expired += 1
    return expired


def patient_export_download_record(*, export: PatientExport, actor: Any, ip: str | None) -> None:
    audit_log_record(
        action="lgpd.export_download",
        user=actor,
        tenant=export.tenant,
        object_type="patient",
        object_id=str(export.patient_id),
        ip=ip,
        details={"format": export.format, "export": str(export.pk)},
    )


@task(queue_name="default")
def patient_export_build_task(*, export_id: str) -> str:
    try:
        export = patient_export_build(export_id=export_id)
    except Exception:
        patient_export_fail(export_id=export_id)
        raise
    return export.status if export else "missing"
