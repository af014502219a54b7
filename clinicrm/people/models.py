"""Patients, professionals and their polymorphic contacts.

Phones and e-mails are not columns of the people tables: any entity (patient, professional,
and later others) owns rows in `contact_phones` / `contact_emails`, addressed by
(`entity_type`, `entity_id`). Each row is typed (`contact_types` / `contact_email_types`,
seeded system types plus per-tenant ones). At most one primary per entity and kind is enforced
by a partial unique index; the service that sets a primary unsets the others in the same
transaction. Phones are stored canonical E.164 with the Brazilian mobile 9th digit restored;
a provider's raw id (JID, @lid, WaId) is kept apart in `provider_raw_id`.

Patients and professionals carry `search_text`, the accent- and case-folded copy of their
searchable columns that every name search compares (`core.search`); PostgreSQL indexes it with
trigrams (migration 0005).
"""

from django.db import models
from django.db.models import Q

from clinicrm.core.models import SearchIndexed, TenantModel
from clinicrm.core.search import SearchTextField


class EntityType(models.TextChoices):
    PATIENT = "patient", "Paciente"
    PROFESSIONAL = "professional", "Profissional"


class Patient(SearchIndexed, TenantModel):
    full_name = models.CharField("nome completo", max_length=200)
    social_name = models.CharField("nome social", max_length=200, blank=True)
    cpf = models.CharField("CPF", max_length=11, blank=True)
    birth_date = models.DateField("data de nascimento", null=True, blank=True)
    notes = models.TextField("observações", blank=True)
    is_active = models.BooleanField("ativo", default=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    search_text = SearchTextField(sources=("full_name", "social_name"))

    class Meta:
        db_table = "patients"
        ordering = ["full_name", "id"]
        indexes = [
            models.Index(
                fields=["tenant", "is_active", "full_name"], name="patients_tenant_name_idx"
            ),
            # The list's exact order (name, id): page ids come from an index-only scan.
            models.Index(
                fields=["tenant", "is_active", "full_name", "id"],
                name="patients_tenant_name_id_idx",
            ),
            models.Index(fields=["tenant", "cpf"], name="patients_tenant_cpf_idx"),
            # PostgreSQL also gets a trigram index on (tenant, search_text) (migration 0005).
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(cpf="") | Q(cpf__length=11), name="patients_cpf_length_chk"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name


class Professional(SearchIndexed, TenantModel):
    full_name = models.CharField("nome completo", max_length=200)
    specialty = models.CharField("especialidade", max_length=120, blank=True)
    council_registration = models.CharField("registro no conselho", max_length=40, blank=True)
    # The member account of this professional, when they log in themselves.
    user = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    session_minutes = models.PositiveSmallIntegerField("duração da sessão (min)", default=50)
    is_active = models.BooleanField("ativo", default=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    search_text = SearchTextField(sources=("full_name", "specialty", "council_registration"))

    class Meta:
        db_table = "professionals"
        ordering = ["full_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user"],
                condition=Q(user__isnull=False),
                name="professionals_tenant_user_uniq",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name


class ContactType(models.Model):
    """Phone types: system rows (tenant NULL) plus per-tenant custom ones."""

    # Row-level security lets every clinic read the system rows (core/rls.py).
    rls_shared_rows = True

    tenant = models.ForeignKey("core.Tenant", null=True, blank=True, on_delete=models.CASCADE)
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=60)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        db_table = "contact_types"
        ordering = ["sort_order", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"], name="contact_types_tenant_code_uniq"
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(tenant__isnull=True),
                name="contact_types_system_code_uniq",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class ContactPhone(TenantModel):
    entity_type = models.CharField(max_length=30, choices=EntityType.choices)
    entity_id = models.BigIntegerField()
    contact_type = models.ForeignKey(ContactType, on_delete=models.PROTECT, db_column="type_id")
    number_e164 = models.CharField("telefone", max_length=16)
    is_primary = models.BooleanField("principal", default=False)
    whatsapp_linked = models.BooleanField("WhatsApp vinculado", default=False)
    provider_raw_id = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "contact_phones"
        ordering = ["-is_primary", "id"]
        indexes = [
            models.Index(
                fields=["tenant", "entity_type", "entity_id"], name="contact_phones_entity_idx"
            ),
            models.Index(fields=["tenant", "number_e164"], name="contact_phones_number_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "entity_type", "entity_id"],
                condition=Q(is_primary=True),
                name="contact_phones_one_primary_uniq",
            ),
            models.UniqueConstraint(
                fields=["tenant", "entity_type", "entity_id", "number_e164"],
                name="contact_phones_entity_number_uniq",
            ),
        ]

    def __str__(self) -> str:
        return self.number_e164


class ContactEmailType(models.Model):
    rls_shared_rows = True  # as ContactType: the system rows are every clinic's

    tenant = models.ForeignKey("core.Tenant", null=True, blank=True, on_delete=models.CASCADE)
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=60)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        db_table = "contact_email_types"
        ordering = ["sort_order", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"], name="contact_email_types_tenant_code_uniq"
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(tenant__isnull=True),
                name="contact_email_types_system_code_uniq",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class ContactEmail(TenantModel):
    entity_type = models.CharField(max_length=30, choices=EntityType.choices)
    entity_id = models.BigIntegerField()
    email_type = models.ForeignKey(ContactEmailType, on_delete=models.PROTECT, db_column="type_id")
    email = models.EmailField("e-mail", max_length=254)
    is_primary = models.BooleanField("principal", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "contact_emails"
        ordering = ["-is_primary", "id"]
        indexes = [
            models.Index(
                fields=["tenant", "entity_type", "entity_id"], name="contact_emails_entity_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "entity_type", "entity_id"],
                condition=Q(is_primary=True),
                name="contact_emails_one_primary_uniq",
            ),
            models.UniqueConstraint(
                fields=["tenant", "entity_type", "entity_id", "email"],
                name="contact_emails_entity_email_uniq",
            ),
        ]

    def __str__(self) -> str:
        return self.email
