"""Tags: the tenant's catalogue (system + custom) and which threads carry them.

Names are unique per tenant after folding case and accents (`tag_name_key`), checked here with a
pt-BR message and enforced by the unique index on `name_key`. System tags (seeded, with a
`system_code`) may be recoloured, never renamed or deleted: filters and automations rely on them.
"""

import unicodedata
from typing import Any

from django.db import IntegrityError, transaction

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.core.services import audit_log_record
from clinicrm.crm.models import Tag, TagColor, ThreadTag
from clinicrm.crm.services.common import actor_user, thread_check_tenant
from clinicrm.crm.services.events import TAGS, crm_event_emit
from clinicrm.messaging.models import Thread

NAME_MAX = 40
TAGS_PER_TENANT_MAX = 100
# (system_code, name, color, sort_order): the same rows as migration 0002.
SYSTEM_TAGS = (
    ("new_contact", "Novo contato", TagColor.BLUE, 10),
    ("scheduling", "Agendamento", TagColor.TEAL, 20),
    ("billing", "Financeiro", TagColor.AMBER, 30),
    ("urgent", "Urgente", TagColor.RED, 40),
    ("follow_up", "Retorno", TagColor.VIOLET, 50),
)
MSG_DUPLICATE = "Já existe uma etiqueta com este nome."
MSG_UNKNOWN = "Etiqueta não encontrada. Atualize a página e tente de novo."


def tag_name_key(name: str) -> str:
    """`name` folded for uniqueness: no accents, case-folded, single spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())[:NAME_MAX]


def tag_system_ensure(*, tenant: Tenant) -> None:
    """Create the tenant's missing system tags (new tenants; idempotent and race-safe)."""
    have = set(
        Tag.objects.filter(tenant=tenant)
        .exclude(system_code="")
        .values_list("system_code", flat=True)
    )
    missing = [row for row in SYSTEM_TAGS if row[0] not in have]
    if not missing:
        return
    Tag.objects.bulk_create(
        [
            Tag(
                tenant=tenant,
                system_code=code,
                name=name,
                name_key=tag_name_key(name),
                color=color,
                sort_order=order,
            )
            for code, name, color, order in missing
        ],
        ignore_conflicts=True,
    )


def _clean_name(name: Any) -> str:
    value = " ".join(str(name or "").split())
    if not value:
        raise ApplicationError("Informe o nome da etiqueta.", field="name")
    if len(value) > NAME_MAX:
        raise ApplicationError(
            f"O nome da etiqueta pode ter no máximo {NAME_MAX} caracteres.", field="name"
        )
    return value


def _clean_color(color: Any) -> str:
    if color not in TagColor.values:
        raise ApplicationError("Escolha uma das cores da lista.", field="color")
    return str(color)


def _name_taken(*, tenant: Tenant, key: str, exclude_pk: int | None = None) -> bool:
    qs = Tag.objects.filter(tenant=tenant, name_key=key)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _save_unique(tag: Tag, **kwargs: Any) -> None:
    # The index settles a concurrent create of the same name (both passed the check).
    try:
        with transaction.atomic():
            tag.save(**kwargs)
    except IntegrityError as exc:
        raise ApplicationError(MSG_DUPLICATE, field="name") from exc


@transaction.atomic
def tag_create(
    *, tenant: Tenant, actor: Any, name: str, color: str = TagColor.TEAL, ip: str | None = None
) -> Tag:
    value, color = _clean_name(name), _clean_color(color)
    key = tag_name_key(value)
    if _name_taken(tenant=tenant, key=key):
        raise ApplicationError(MSG_DUPLICATE, field="name")
    if Tag.objects.filter(tenant=tenant).count() >= TAGS_PER_TENANT_MAX:
        raise ApplicationError(
            f"A clínica já tem {TAGS_PER_TENANT_MAX} etiquetas; remova alguma antes.", field="name"
        )
    tag = Tag(tenant=tenant, name=value, name_key=key, color=color)
    _save_unique(tag)
    audit_log_record(
        action="conversation_tag.create",
        user=actor,
        tenant=tenant,
        obj=tag,
        ip=ip,
        details={"fields": ["name", "color"]},
    )
    return tag


@transaction.atomic
def tag_update(
    *,
    tag: Tag,
    actor: Any,
    name: str | None = None,
    color: str | None = None,
    ip: str | None = None,
) -> Tag:
    changed: list[str] = []
    if name is not None:
        value = _clean_name(name)
        if value != tag.name:
            if tag.is_system:
                raise ApplicationError(
                    "Etiquetas do sistema não podem ser renomeadas.", field="name"
                )
            key = tag_name_key(value)
            if _name_taken(tenant=tag.tenant, key=key, exclude_pk=tag.pk):
                raise ApplicationError(MSG_DUPLICATE, field="name")
            tag.name, tag.name_key = value, key
            changed.append("name")
    if color is not None and _clean_color(color) != tag.color:
        tag.color = color
        changed.append("color")
    if changed:
        _save_unique(
            tag,
            update_fields=[*changed, *(["name_key"] if "name" in changed else []), "updated_at"],
        )
        audit_log_record(
            action="conversation_tag.update",
            user=actor,
            tenant=tag.tenant,
            obj=tag,
            ip=ip,
            details={"fields": changed},
        )
    return tag


@transaction.atomic
def tag_delete(*, tag: Tag, actor: Any, ip: str | None = None) -> None:
    if tag.is_system:
        raise ApplicationError("Etiquetas do sistema não podem ser removidas.", field="tag")
    pk, tenant = tag.pk, tag.tenant
    count = ThreadTag.objects.filter(tag=tag).count()
    tag.delete()
    audit_log_record(
        action="conversation_tag.delete",
        user=actor,
        tenant=tenant,
        object_type="tag",
        object_id=str(pk),
        ip=ip,
        details={"threads": count},
    )
    # One event for every thread that carried it: open lists refresh once.
    crm_event_emit(tenant=tenant, thread_id=None, what=TAGS)


def _tenant_tag(*, tenant: Tenant, tag_id: Any) -> Tag:
    try:
        return Tag.objects.get(tenant=tenant, pk=int(tag_id))
    except (Tag.DoesNotExist, TypeError, ValueError) as exc:
        raise ApplicationError(MSG_UNKNOWN, field="tag") from exc


@transaction.atomic
def thread_tag_add(
    *, tenant: Tenant, thread: Thread, tag_id: Any, actor: Any, ip: str | None = None
) -> bool:
    """Put a tag on a thread; False when it already had it (a double click changes nothing)."""
    thread_check_tenant(tenant=tenant, thread=thread)
    tag = _tenant_tag(tenant=tenant, tag_id=tag_id)
    if ThreadTag.objects.filter(thread=thread, tag=tag).exists():
        return False
    try:
        with transaction.atomic():
            ThreadTag.objects.create(
                tenant=tenant, thread=thread, tag=tag, created_by=actor_user(actor)
            )
    except IntegrityError:
        return False  # a concurrent add of the same tag won
    audit_log_record(
        action="conversation_tag.add",
        user=actor,
        tenant=tenant,
        object_type="thread",
        object_id=str(thread.pk),
        ip=ip,
        details={"tag": tag.pk},
    )
    crm_event_emit(tenant=tenant, thread_id=thread.pk, what=TAGS)
    return True


@transaction.atomic
def thread_tag_remove(
    *, tenant: Tenant, thread: Thread, tag_id: Any, actor: Any, ip: str | None = None
) -> bool:
    thread_check_tenant(tenant=tenant, thread=thread)
    tag = _tenant_tag(tenant=tenant, tag_id=tag_id)
    deleted, _ = ThreadTag.objects.filter(tenant=tenant, thread=thread, tag=tag).delete()
    if not deleted:
        return False
    audit_log_record(
        action="conversation_tag.remove",
        user=actor,
        tenant=tenant,
        object_type="thread",
        object_id=str(thread.pk),
        ip=ip,
        details={"tag": tag.pk},
    )
    crm_event_emit(tenant=tenant, thread_id=thread.pk, what=TAGS)
    return True
