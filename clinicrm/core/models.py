"""Tenancy, users and the audit trail.

A *tenant* is a clinic or a solo practice. Users reach a tenant only through an active
`Membership`, which carries their role. Every tenant-owned model inherits `TenantModel`, whose
non-null `tenant` FK is the one column every query filters by (see `core.tenancy`).
The audit log keeps who/what/when/where without free-text personal data: it stores object
types, ids and the names of changed fields, never their values.
"""

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length

from clinicrm.core.search import search_fields_of

models.CharField.register_lookup(Length)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)


class User(AbstractUser):
    """Login by e-mail; UUID ids because credit tables reference users as uuid."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = None  # type: ignore[assignment]
    email = models.EmailField("e-mail", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        db_table = "users"
        verbose_name = "usuário"

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Tenant(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField("nome", max_length=150)
    slug = models.SlugField(unique=True, max_length=80)
    # Digits only for a CPF (11); a CNPJ has 14 characters and, since July 2026, may carry
    # upper-case letters in its first 12 positions. Check digits are validated in forms.
    cpf_cnpj = models.CharField("CPF/CNPJ", max_length=14, null=True, blank=True)
    # UF whose holidays count besides the national ones (core.holidays); blank = national only.
    state = models.CharField("estado (UF)", max_length=2, blank=True, default="")
    # Least privilege (core.visibility): professionals see only the patients they attend.
    professionals_own_patients_only = models.BooleanField(
        "profissionais veem só os próprios pacientes", default=True
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "tenants"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cpf_cnpj__isnull=True) | Q(cpf_cnpj__length__in=[11, 14]),
                name="tenants_cpf_cnpj_length_chk",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Proprietário"
    ADMIN = "admin", "Administrador"
    PROFESSIONAL = "professional", "Profissional"
    SECRETARY = "secretary", "Secretária(o)"


MANAGER_ROLES = frozenset({Role.OWNER, Role.ADMIN})
CLINIC_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.SECRETARY})


class Membership(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("papel", max_length=20, choices=Role.choices)
    is_active = models.BooleanField("ativo", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "memberships"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="memberships_tenant_user_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.role})"

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGER_ROLES


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant: Tenant) -> "TenantQuerySet":
        return self.filter(tenant=tenant)


class TenantModel(models.Model):
    """Base of every tenant-owned row: the tenant FK is never null."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class SearchIndexed(models.Model):
    """A model with `SearchTextField` columns (see `core.search`): a save that names only some
    fields also writes the search column of any source among them."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            names = set(update_fields)
            for field in search_fields_of(type(self)):
                if names & set(field.sources):
                    names.add(field.name)
            kwargs["update_fields"] = names
        super().save(*args, **kwargs)


class AuditLogQuerySet(models.QuerySet["AuditLog"]):
    """Audit rows are append-only: bulk UPDATE and DELETE are refused here too (PostgreSQL
    also refuses them with a trigger; see compliance migration 0001)."""

    def update(self, **kwargs: Any) -> int:
        raise TypeError("audit_logs is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("audit_logs is append-only")


class AuditLog(models.Model):
    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.SET_NULL)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # Names of changed fields and other non-personal facts (never values typed by people).
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        db_table = "audit_logs"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="audit_tenant_created_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("audit_logs is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("audit_logs is append-only")


class LoginAttempt(models.Model):
    """Failed logins (and ones being checked), counted per (account, IP) and per IP to slow
    guessing down; see core/accounts/. `email` is what was typed, lower-cased."""

    id = models.BigAutoField(primary_key=True)
    email = models.CharField(max_length=254, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "login_attempts"
        indexes = [
            models.Index(
                fields=["email", "ip_address", "created_at"], name="login_attempt_pair_idx"
            ),
            models.Index(fields=["ip_address", "created_at"], name="login_attempt_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"failed login #{self.pk}"


class Notification(models.Model):
    """In-app notification for one member (the bell). Text is pt-BR and carries no personal data."""

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "notifications"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "tenant", "read_at"], name="notif_user_unread_idx")]

    def __str__(self) -> str:
        return self.title


class ScheduledRun(models.Model):
    """Periodic work: one row per (job name, slot) is the lock that makes a slot run once.

    The scheduler (`core.scheduler`) computes the current slot of every registered job (the UTC
    start of the interval that contains "now", aligned on the epoch) and, in one transaction,
    inserts this row and enqueues the job's task. The unique constraint turns a second
    scheduler's insert for the same slot into an IntegrityError, so any number of schedulers can
    run without double work, and the task row commits together with the slot row (or neither).
    """

    id = models.BigAutoField(primary_key=True)
    job_name = models.CharField(max_length=100)
    slot = models.DateTimeField(help_text="UTC start of the job's interval that this run covers.")
    task_result_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "scheduled_runs"
        ordering = ["-slot", "job_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["job_name", "slot"], name="scheduled_runs_job_slot_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.job_name} @ {self.slot.isoformat()}"


class ProcessKind(models.TextChoices):
    WORKER = "worker", "Worker"
    SCHEDULER = "scheduler", "Scheduler"


class ProcessHeartbeat(models.Model):
    """A running task worker or scheduler says it is alive every few seconds.

    The id of a worker's row is its django-tasks-db worker id, the one the package appends to a
    task row's `worker_ids` when it claims it: a RUNNING task whose worker's heartbeat is stale
    was orphaned by a dead process, and the reaper re-queues it within about a minute instead of
    waiting for a timeout. Rows are never deleted on exit (a process killed mid-task cannot);
    a clean exit sets `stopped_at`, and housekeeping prunes the long-silent ones.
    """

    id = models.CharField(max_length=64, primary_key=True)
    kind = models.CharField(max_length=20, choices=ProcessKind.choices)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "process_heartbeats"
        ordering = ["kind", "-beat_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class NotificationPreference(models.Model):
    """A member's choice for one notification kind in one tenant. No row = the kind arrives
    (every kind is on by default); `core.notifications.notification_send` skips the members
    who switched a kind off."""

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=60)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "notification_preferences"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "kind"], name="notification_prefs_member_kind_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {'on' if self.enabled else 'off'}"
