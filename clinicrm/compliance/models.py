"""Compliance: the audit page over `core.AuditLog`, and (as they land) LGPD export/erasure,
retention and intake invites.

The audit rows themselves live in `core` (every app writes them through
`core.services.audit_log_record`); this app reads them. Its first migration makes them
append-only on PostgreSQL (a trigger refuses UPDATE and DELETE, except the SET NULL a deleted
user or tenant causes) and adds the indexes the audit page's filters walk.
"""

import uuid

from django.conf import settings
from django.db import models

from clinicrm.core.models import TenantModel


class ExportFormat(models.TextChoices):
    JSON = "json", "JSON"
    CSV = "csv", "CSV (zip, um arquivo por tipo)"
    HTML = "html", "Relatório (HTML)"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Gerando"
    READY = "ready", "Pronta"
    FAILED = "failed", "Falhou"
    EXPIRED = "expired", "Expirada (arquivo apagado)"


class PatientExport(TenantModel):
    """An LGPD export of everything the tenant holds about one patient (LGPD art. 18). Built by
    a task into private storage; downloaded through a signed link until `expires_at`
    (`LGPD_EXPORT_LINK_SECONDS` after the build), when its media links die too. The retention
    job then deletes the file and marks it expired; the row stays (who asked, when, counts)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("people.Patient", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    format = models.CharField(max_length=10, choices=ExportFormat.choices)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    file_path = models.CharField(max_length=300, blank=True)
    counts = models.JSONField(default=dict, blank=True)  # rows per kind (no personal data)
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "lgpd_exports"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.pk}"


class PatientErasure(TenantModel):
    """A patient's personal data was erased on request (LGPD art. 18, VI).

    The patient row stays (anonymised, archived) because the appointments the clinic must keep
    point at it; this row flags it as erased, says when and by whom, and holds the counts of
    what was removed (no personal data). `pending_files` are storage paths of media still to be
    deleted: the files go after the erasure commits, and retention retries any that remained.
    """

    id = models.BigAutoField(primary_key=True)
    patient = models.OneToOneField(
        "people.Patient", on_delete=models.CASCADE, related_name="erasure"
    )
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    erased_at = models.DateTimeField(auto_now_add=True)
    counts = models.JSONField(default=dict, blank=True)
    pending_files = models.JSONField(default=list, blank=True)

    class Meta:
        db_table = "lgpd_erasures"

    def __str__(self) -> str:
        return f"erasure of patient {self.patient_id}"


# Intake invites live in their own module (compliance/intake/); imported here so Django sees them.
from clinicrm.compliance.intake.models import (  # noqa: E402
    IntakeInvite,
    IntakeSubmission,
    SubmissionStatus,
)

__all__ = [
    "ExportFormat",
    "ExportStatus",
    "IntakeInvite",
    "IntakeSubmission",
    "PatientErasure",
    "PatientExport",
    "SubmissionStatus",
]
