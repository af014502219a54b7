"""Reads of the audit trail: filtered, newest first, paged by keyset.

One query shape serves the clinic page (always one tenant) and the SaaS staff page (all
tenants, or one): `created_at DESC, id DESC` with at most one equality filter besides the
tenant, which the indexes of migration 0001 walk without sorting. The cursor is the last
row's (created_at, id), so page N costs what page 1 costs, however deep.
"""

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from clinicrm.core.models import AuditLog, Membership, Tenant
from clinicrm.core.timeutils import SAO_PAULO

PER_PAGE = 50
EXPORT_LIMIT = 100_000
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
SYSTEM_USER = "sistema"  # the user filter's value for rows without a person (automations)


@dataclass(frozen=True)
class AuditFilters:
    tenant_id: uuid.UUID | None = None  # staff page only; the clinic page passes its tenant
    user: str = ""  # a user id, SYSTEM_USER, or "" for everyone
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @property
    def active(self) -> bool:
        return any(
            (self.user, self.action, self.object_type, self.object_id, self.date_from)
        ) or bool(self.date_to or self.tenant_id)


@dataclass(frozen=True)
class Cursor:
    created_at: dt.datetime
    id: int

    def encode(self) -> str:
        micros = (self.created_at - EPOCH) // dt.timedelta(microseconds=1)
        return f"{micros}_{self.id}"

    @classmethod
    def decode(cls, value: str) -> "Cursor":
        """Raises ValueError on anything but what `encode` writes."""
        micros, _, row_id = value.partition("_")
        return cls(created_at=EPOCH + dt.timedelta(microseconds=int(micros)), id=int(row_id))


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditLog]
    next_cursor: str  # "" on the last page


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=SAO_PAULO)


def audit_queryset(*, tenant: Tenant | None, filters: AuditFilters) -> QuerySet[AuditLog]:
    """The filtered rows, newest first. `tenant=None` is the staff view (every tenant)."""
    qs = AuditLog.objects.all()
    if tenant is not None:
        qs = qs.filter(tenant=tenant)
    elif filters.tenant_id is not None:
        qs = qs.filter(tenant_id=filters.tenant_id)
    if filters.user == SYSTEM_USER:
        qs = qs.filter(user__isnull=True)
    elif filters.user:
        qs = qs.filter(user_id=filters.user)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
        if filters.object_id:
            qs = qs.filter(object_id=filters.object_id)
    elif filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.date_from:
        qs = qs.filter(created_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_start_of(filters.date_to + dt.timedelta(days=1)))
    return qs.order_by("-created_at", "-id")


def audit_page(
    *,
    tenant: Tenant | None,
    filters: AuditFilters,
    cursor: Cursor | None = None,
    per_page: int = PER_PAGE,
) -> AuditPage:
    qs = audit_queryset(tenant=tenant, filters=filters)
    if cursor is not None:
        qs = qs.filter(
            Q(created_at__lt=cursor.created_at) | Q(created_at=cursor.created_at, id__lt=cursor.id)
        )
    rows = list(qs.select_related("user", "tenant")[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    next_cursor = Cursor(rows[-1].created_at, rows[-1].id).encode() if more else ""
    return AuditPage(rows=rows, next_cursor=next_cursor)


def audit_rows(
    *, tenant: Tenant | None, filters: AuditFilters, limit: int = EXPORT_LIMIT
) -> Iterator[AuditLog]:
    """The rows an export holds (at most `limit`, newest first), read in chunks."""
    qs = audit_queryset(tenant=tenant, filters=filters).select_related("user", "tenant")
    yield from qs[:limit].iterator(chunk_size=2000)


def audit_get(*, tenant: Tenant | None, audit_id: int) -> AuditLog:
    """One row of `tenant` (any tenant's for staff), or 404."""
    qs = AuditLog.objects.select_related("user", "tenant")
    if tenant is not None:
        qs = qs.filter(tenant=tenant)
    try:
        return qs.get(pk=audit_id)
    except AuditLog.DoesNotExist as exc:
        raise Http404("Registro não encontrado.") from exc


def audit_user_choices(*, tenant: Tenant) -> list[tuple[str, str]]:
    """The user filter's options: every member the clinic has had, then the automations."""
    members = (
        Membership.objects.filter(tenant=tenant)
        .select_related("user")
        .order_by("user__first_name", "user__email")
    )
    choices: list[tuple[str, str]] = [("", "Todos")]
    choices += [(str(m.user_id), f"{m.user} ({m.user.email})") for m in members]
    choices.append((SYSTEM_USER, "Sistema (automático)"))
    return choices


def audit_tenant_choices() -> list[tuple[str, str]]:
    return [("", "Todas"), *[(str(t.pk), t.name) for t in Tenant.objects.order_by("name")]]


def audit_detail_items(row: AuditLog) -> list[tuple[str, Any]]:
    """The `details` JSON as (key, value) pairs for the detail page, lists joined."""
    out = []
    for key, value in sorted((row.details or {}).items()):
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        out.append((key, value))
    return out
