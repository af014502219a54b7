"""Patient intake invites: a clinic member creates an invite, the patient fills a public form
reached by a signed link, and the clinic reviews the submission before anything touches the
patient registry.

An invite is answered at most once: the submission's one-to-one with its invite is the database
guarantee (two browser tabs posting together: one row, one refusal). The public page shows only
the clinic's and the inviting professional's names, never the name or phone the member typed.
"""

import uuid

from django.conf import settings
from django.db import models

from clinicrm.core.models import TenantModel


class IntakeInvite(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    professional = models.ForeignKey(
        "people.Professional", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the member knew when inviting (for their own list; never shown on the public page).
    name = models.CharField("nome", max_length=200, blank=True)
    phone_e164 = models.CharField("telefone", max_length=16, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "intake_invites"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="intake_invite_tenant_idx")]

    def __str__(self) -> str:
        return f"convite {self.pk}"


class SubmissionStatus(models.TextChoices):
    PENDING = "pending", "Aguardando revisão"
    ACCEPTED = "accepted", "Aceito"
    REJECTED = "rejected", "Recusado"


class IntakeSubmission(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    invite = models.OneToOneField(IntakeInvite, on_delete=models.CASCADE, related_name="submission")
    full_name = models.CharField("nome completo", max_length=200)
    social_name = models.CharField("nome social", max_length=200, blank=True)
    cpf = models.CharField("CPF", max_length=11)
    birth_date = models.DateField("data de nascimento")
    phone_e164 = models.CharField("telefone (WhatsApp)", max_length=16)
    email = models.EmailField("e-mail", max_length=254, blank=True)
    consent_terms_version = models.CharField(max_length=20)
    consented_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=SubmissionStatus.choices, default=SubmissionStatus.PENDING
    )
    patient = models.ForeignKey(
        "people.Patient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "intake_submissions"
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["tenant", "status", "-created_at"], name="intake_submission_status_idx"
            )
        ]

    def __str__(self) -> str:
        return f"cadastro {self.pk}"
