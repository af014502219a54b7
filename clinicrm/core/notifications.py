"""In-app notifications (the bell): selectors and services, always per user AND tenant.

A member of two clinics sees, in each clinic, only that clinic's notifications. Rows are created
by other apps (e.g. credits' low-balance warnings) with pt-BR text and no personal data.
"""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils import timezone

from clinicrm.core.models import Notification, Tenant, User

PANEL_LIMIT = 10
PAGE_SIZE = 20


def notification_list(*, user: User, tenant: Tenant, unread_only: bool = False) -> QuerySet:
    """The member's notifications in `tenant`, newest first."""
    qs = Notification.objects.filter(user=user, tenant=tenant).order_by("-created_at", "-id")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def notification_latest(*, user: User, tenant: Tenant, limit: int = PANEL_LIMIT) -> list[Any]:
    return list(notification_list(user=user, tenant=tenant)[:limit])


def notification_page(*, user: User, tenant: Tenant, page: Any = 1) -> Page:
    paginator = Paginator(notification_list(user=user, tenant=tenant), PAGE_SIZE)
    return paginator.get_page(page)


def notification_unread_count(*, user: User, tenant: Tenant) -> int:
    return notification_list(user=user, tenant=tenant, unread_only=True).count()


def notification_mark_read(*, user: User, tenant: Tenant, notification_id: int) -> bool:
    """Mark one notification read; False when it was already read (or is not this member's)."""
    updated = Notification.objects.filter(
        pk=notification_id, user=user, tenant=tenant, read_at__isnull=True
    ).update(read_at=timezone.now())
    return bool(updated)


def notification_mark_all_read(*, user: User, tenant: Tenant) -> int:
    """Mark every unread notification of the member in `tenant` read; returns how many."""
    return notification_list(user=user, tenant=tenant, unread_only=True).update(
        read_at=timezone.now()
    )
