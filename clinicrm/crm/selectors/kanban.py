"""The Kanban: the inbox's threads (same filters) in columns, by status or by tag as the clinic
chose (`CrmSettings.kanban_group`). Each column is a keyset page of its own (`thread_page` with
the column's condition), so a long column loads more as it scrolls, like the list."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from clinicrm.core.models import Tenant, User
from clinicrm.crm.models import KanbanGroup, Stage, Tag, ThreadTag
from clinicrm.crm.selectors.conversation import tags_of_tenant
from clinicrm.crm.selectors.filters import Cursor, InboxFilters
from clinicrm.crm.selectors.inbox import ThreadPage, stage_condition, thread_page
from clinicrm.crm.selectors.rows import ThreadRow

COLUMN_PAGE = 20
NO_TAG = "sem-etiqueta"
TAG_PREFIX = "etiqueta-"


@dataclass(frozen=True)
class Column:
    key: str  # stage value, "etiqueta-<id>" or "sem-etiqueta"
    label: str
    condition: Q
    color: str = ""


def kanban_columns(*, tenant: Tenant, group: str) -> list[Column]:
    if group == KanbanGroup.TAG:
        tags = tags_of_tenant(tenant=tenant)
        columns = [
            Column(
                key=f"{TAG_PREFIX}{tag.pk}",
                label=tag.name,
                condition=Q(Exists(ThreadTag.objects.filter(thread=OuterRef("pk"), tag=tag))),
                color=tag.color,
            )
            for tag in tags
        ]
        untagged = ~Q(Exists(ThreadTag.objects.filter(thread=OuterRef("pk"))))
        return [*columns, Column(key=NO_TAG, label="Sem etiqueta", condition=untagged)]
    return [Column(key=s.value, label=s.label, condition=stage_condition(s.value)) for s in Stage]


def kanban_column_get(*, tenant: Tenant, group: str, key: str) -> Column | None:
    return next((c for c in kanban_columns(tenant=tenant, group=group) if c.key == key), None)


def kanban_column_page(
    *,
    tenant: Tenant,
    user: User,
    filters: InboxFilters,
    column: Column,
    cursor: Cursor | None = None,
) -> ThreadPage:
    return thread_page(
        tenant=tenant,
        user=user,
        filters=filters,
        cursor=cursor,
        limit=COLUMN_PAGE,
        extra=column.condition,
    )


def kanban_card_columns(*, row: ThreadRow, group: str, columns: list[Column]) -> list[str]:
    """The columns a card shows in (by tag a thread with two tags is in two columns)."""
    if group == KanbanGroup.TAG:
        keys = {f"{TAG_PREFIX}{tag.pk}" for tag in row.tags}
        return [c.key for c in columns if c.key in keys] or [NO_TAG]
    return [row.stage]


def tag_of_column(*, tenant: Tenant, key: str) -> Tag | None:
    raw = key.removeprefix(TAG_PREFIX)
    if not key.startswith(TAG_PREFIX) or not raw.isdigit() or len(raw) > 18:
        return None
    return Tag.objects.filter(tenant=tenant, pk=int(raw)).first()
