"""The CRM layer over messaging's threads: tags, assignment, Kanban status, internal notes.

Every row is tenant-owned and points at a `messaging.Thread` by its id (never by the phone
number). Nothing here is copied into the thread row: messaging keeps `conversation_threads` as
its own cache of the last message, and the CRM reads join it.

- `Tag` (`conversation_tags`): five system tags seeded for every tenant (migration 0002 for the
  existing ones, `tag_system_ensure` for tenants created later) plus the clinic's own. A name is
  unique per tenant on `name_key`, the name folded for case and accents, so "Urgente" and
  "urgente" cannot both exist. System tags can be recoloured but not renamed or deleted.
- `ThreadTag` (`conversation_thread_tags`): which tags a thread carries.
- `Assignment` (`conversation_assignments`): one row per (tenant, thread), upserted; a NULL
  `assigned_to` is "not assigned". The assignee must be an active member of the tenant: the
  service checks it with a pt-BR message, and a database trigger (migration 0003) refuses any
  other row, whoever writes it; when a membership is deactivated or deleted the same triggers
  clear its assignments, so the rule cannot go stale.
- `ThreadStatus` (`conversation_statuses`): the Kanban status of a thread (no row = "Em aberto").
  "Aguardando paciente" and "Concluída" are decisions about the patient's last message: a newer
  inbound message (`Thread.last_inbound_at > changed_at`) puts the thread back in "Em aberto"
  at read time, so ingest never has to know the CRM exists.
- `Note` (`conversation_notes`): internal notes on a thread; only the author edits or deletes.
- `CrmSettings` (`crm_settings`): per-tenant choices (the Kanban groups by status or by tag).
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from clinicrm.core.models import TenantModel


class TagColor(models.TextChoices):
    TEAL = "teal", "Verde-azulado"
    BLUE = "blue", "Azul"
    VIOLET = "violet", "Violeta"
    PINK = "pink", "Rosa"
    RED = "red", "Vermelho"
    ORANGE = "orange", "Laranja"
    AMBER = "amber", "Amarelo"
    GREEN = "green", "Verde"
    SLATE = "slate", "Cinza"


class Tag(TenantModel):
    id = models.BigAutoField(primary_key=True)
    name = models.CharField("nome", max_length=40)
    name_key = models.CharField(max_length=40)
    color = models.CharField("cor", max_length=10, choices=TagColor.choices, default=TagColor.TEAL)
    # Seeded tags keep a stable code (filters, automations); custom tags have none.
    system_code = models.CharField(max_length=30, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=100)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "conversation_tags"
        ordering = ["sort_order", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name_key"], name="conversation_tags_name_uniq"
            ),
            models.UniqueConstraint(
                fields=["tenant", "system_code"],
                condition=~Q(system_code=""),
                name="conversation_tags_system_uniq",
            ),
            models.CheckConstraint(
                condition=Q(color__in=TagColor.values), name="conversation_tags_color_chk"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_system(self) -> bool:
        return bool(self.system_code)


class ThreadTag(TenantModel):
    id = models.BigAutoField(primary_key=True)
    thread = models.ForeignKey("messaging.Thread", on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="thread_links")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_column="created_by",
    )

    class Meta:
        db_table = "conversation_thread_tags"
        constraints = [
            models.UniqueConstraint(fields=["thread", "tag"], name="conversation_thread_tags_uniq")
        ]
        # The tag filter and the Kanban's tag columns start from the tag.
        indexes = [models.Index(fields=["tag", "thread"], name="thread_tags_tag_idx")]

    def __str__(self) -> str:
        return f"tag {self.tag_id} on thread {self.thread_id}"


class Assignment(TenantModel):
    id = models.BigAutoField(primary_key=True)
    thread = models.ForeignKey("messaging.Thread", on_delete=models.CASCADE, related_name="+")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_column="assigned_to",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_column="assigned_by",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "conversation_assignments"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "thread"], name="conversation_assignments_thread_uniq"
            )
        ]
        # "Minhas": the member's assigned threads.
        indexes = [models.Index(fields=["tenant", "assigned_to"], name="assignments_assignee_idx")]

    def __str__(self) -> str:
        return f"assignment of thread {self.thread_id}"


class Stage(models.TextChoices):
    OPEN = "open", "Em aberto"
    IN_PROGRESS = "in_progress", "Em atendimento"
    WAITING = "waiting", "Aguardando paciente"
    DONE = "done", "Concluída"


# Stages a new message from the patient undoes (see the module docstring).
REOPENED_BY_INBOUND = frozenset({Stage.WAITING, Stage.DONE})


def stage_effective(*, status: str | None, changed_at: Any, last_inbound_at: Any) -> str:
    """The column a thread shows in: a patient message after "aguardando"/"concluída" reopens."""
    if not status:
        return Stage.OPEN
    if (
        status in REOPENED_BY_INBOUND
        and last_inbound_at is not None
        and changed_at is not None
        and last_inbound_at > changed_at
    ):
        return Stage.OPEN
    return status


class ThreadStatus(TenantModel):
    id = models.BigAutoField(primary_key=True)
    thread = models.ForeignKey("messaging.Thread", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=Stage.choices, default=Stage.OPEN)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_column="changed_by",
    )

    class Meta:
        db_table = "conversation_statuses"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "thread"], name="conversation_statuses_thread_uniq"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Stage.values), name="conversation_statuses_status_chk"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status"], name="statuses_tenant_status_idx")]

    def __str__(self) -> str:
        return f"{self.status} (thread {self.thread_id})"


class Note(TenantModel):
    id = models.BigAutoField(primary_key=True)
    thread = models.ForeignKey("messaging.Thread", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_column="author_id",
    )
    body = models.TextField("nota")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    edited = models.BooleanField(default=False)

    class Meta:
        db_table = "conversation_notes"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "thread", "-created_at"], name="notes_thread_idx")
        ]

    def __str__(self) -> str:
        return f"note #{self.pk}"


class KanbanGroup(models.TextChoices):
    STATUS = "status", "Por status"
    TAG = "tag", "Por etiqueta"


class CrmSettings(TenantModel):
    id = models.BigAutoField(primary_key=True)
    kanban_group = models.CharField(
        "colunas do Kanban",
        max_length=10,
        choices=KanbanGroup.choices,
        default=KanbanGroup.STATUS,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "crm_settings"
        constraints = [models.UniqueConstraint(fields=["tenant"], name="crm_settings_tenant_uniq")]

    def __str__(self) -> str:
        return f"crm settings of {self.tenant_id}"
