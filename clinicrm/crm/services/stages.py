"""Kanban moves: the thread's status (stage) and, in tag mode, swapping one tag for another.

A move names the column the card was dragged from (`expected`): if the card had already moved
(someone else dragged it, or the patient wrote and reopened it) nothing changes and the clinic
is told, as with assignments.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.core.services import audit_log_record
from clinicrm.crm.models import (
    CrmSettings,
    KanbanGroup,
    Stage,
    ThreadStatus,
    ThreadTag,
    stage_effective,
)
from clinicrm.crm.services.common import actor_user, thread_check_tenant
from clinicrm.crm.services.events import STAGE, crm_event_emit
from clinicrm.crm.services.tags import thread_tag_add, thread_tag_remove
from clinicrm.messaging.models import Thread


@transaction.atomic
def thread_stage_set(
    *,
    tenant: Tenant,
    thread: Thread,
    stage: str,
    actor: Any,
    expected: str | None = None,
    ip: str | None = None,
) -> ThreadStatus:
    thread_check_tenant(tenant=tenant, thread=thread)
    if stage not in Stage.values:
        raise ApplicationError("Status inválido.", field="stage")
    ThreadStatus.objects.bulk_create(
        [ThreadStatus(tenant=tenant, thread=thread, changed_at=timezone.now())],
        ignore_conflicts=True,
    )
    row = ThreadStatus.objects.select_for_update().get(tenant=tenant, thread=thread)
    last_inbound = (
        Thread.objects.filter(pk=thread.pk).values_list("last_inbound_at", flat=True).first()
    )
    current = stage_effective(
        status=row.status, changed_at=row.changed_at, last_inbound_at=last_inbound
    )
    if expected is not None and expected != current:
        raise ApplicationError(
            f"Esta conversa já tinha mudado para “{Stage(current).label}”. Nada foi alterado.",
            field="stage",
            extra={"current": current},
        )
    if stage == current and row.status == stage:
        return row
    row.status = stage
    row.changed_at = timezone.now()
    row.changed_by = actor_user(actor)
    row.save(update_fields=["status", "changed_at", "changed_by"])
    audit_log_record(
        action="conversation.stage",
        user=actor,
        tenant=tenant,
        object_type="thread",
        object_id=str(thread.pk),
        ip=ip,
        details={"from": current, "to": stage},
    )
    crm_event_emit(tenant=tenant, thread_id=thread.pk, what=STAGE)
    return row


def crm_settings_get(*, tenant: Tenant) -> CrmSettings:
    settings, _ = CrmSettings.objects.get_or_create(tenant=tenant)
    return settings


@transaction.atomic
def kanban_group_set(*, tenant: Tenant, group: str, actor: Any, ip: str | None = None) -> None:
    if group not in KanbanGroup.values:
        raise ApplicationError("Escolha como agrupar o Kanban.", field="group")
    settings = crm_settings_get(tenant=tenant)
    if settings.kanban_group == group:
        return
    settings.kanban_group = group
    settings.save(update_fields=["kanban_group", "updated_at"])
    audit_log_record(
        action="crm_settings.update",
        user=actor,
        tenant=tenant,
        obj=settings,
        ip=ip,
        details={"fields": ["kanban_group"]},
    )


def _tag_id_of(key: str) -> int | None:
    raw = key.removeprefix("etiqueta-")
    return int(raw) if key.startswith("etiqueta-") and raw.isdigit() and len(raw) < 19 else None


@transaction.atomic
def kanban_move(
    *,
    tenant: Tenant,
    thread: Thread,
    to: str,
    expected: str,
    actor: Any,
    ip: str | None = None,
) -> None:
    """Move a Kanban card from column `expected` to column `to`, as the clinic groups the board.

    By status it is `thread_stage_set`. By tag it swaps the tag of the column left for the tag
    of the column entered ("sem-etiqueta" on either side: only add, or only remove). A card that
    had already left `expected` changes nothing and the clinic is told.
    """
    thread_check_tenant(tenant=tenant, thread=thread)
    if crm_settings_get(tenant=tenant).kanban_group == KanbanGroup.STATUS:
        thread_stage_set(
            tenant=tenant, thread=thread, stage=to, actor=actor, expected=expected, ip=ip
        )
        return
    to_tag, from_tag = _tag_id_of(to), _tag_id_of(expected)
    if (to_tag is None and to != "sem-etiqueta") or (
        from_tag is None and expected != "sem-etiqueta"
    ):
        raise ApplicationError("Coluna inválida.", field="coluna")
    tags = set(
        ThreadTag.objects.filter(tenant=tenant, thread=thread).values_list("tag_id", flat=True)
    )
    if (from_tag is not None and from_tag not in tags) or (from_tag is None and tags):
        raise ApplicationError(
            "Esta conversa já tinha mudado de coluna. Nada foi alterado.", field="coluna"
        )
    if to == expected:
        return
    if to_tag is not None:
        thread_tag_add(tenant=tenant, thread=thread, tag_id=to_tag, actor=actor, ip=ip)
    if from_tag is not None:
        thread_tag_remove(tenant=tenant, thread=thread, tag_id=from_tag, actor=actor, ip=ip)
