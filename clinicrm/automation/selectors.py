"""Reads of automation: opt-out state, keyword and log lists for the settings pages."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from clinicrm.automation.models import (
    AutoReplyLog,
    AutoReplySettings,
    OptOut,
    OptOutKeyword,
    ReminderLog,
    ReminderSettings,
)
from clinicrm.core.models import Tenant

PAGE_SIZE = 25


def optout_active_get(*, tenant: Tenant, thread_key: str) -> OptOut | None:
    """The open opt-out period of the number, if any (served by the partial unique index)."""
    return OptOut.objects.filter(
        tenant=tenant, thread_key=thread_key, opted_in_at__isnull=True
    ).first()


def optout_is_active(*, tenant: Tenant, thread_key: str) -> bool:
    return OptOut.objects.filter(
        tenant_id=tenant.pk, thread_key=thread_key, opted_in_at__isnull=True
    ).exists()


def optout_active_keys(*, tenant_ids: list[str], thread_keys: list[str]) -> set[tuple[str, str]]:
    """(tenant id, thread_key) of the given numbers that are opted out now (bulk check)."""
    rows = OptOut.objects.filter(
        tenant_id__in=tenant_ids, thread_key__in=thread_keys, opted_in_at__isnull=True
    ).values_list("tenant_id", "thread_key")
    return {(str(t), k) for t, k in rows}


def optout_keyword_list(*, tenant: Tenant) -> QuerySet[OptOutKeyword]:
    return OptOutKeyword.objects.filter(tenant=tenant).order_by("kind", "-is_system", "keyword")


def optout_page(*, tenant: Tenant, active: bool, page: int | str | None = 1) -> Page[OptOut]:
    qs = OptOut.objects.filter(tenant=tenant, opted_in_at__isnull=active).select_related(
        "created_by", "opted_in_by", "message"
    )
    if not active:
        qs = qs.order_by("-opted_in_at", "-id")
    return Paginator(qs, PAGE_SIZE).get_page(page)


def autoreply_settings_get(*, tenant: Tenant) -> AutoReplySettings | None:
    return AutoReplySettings.objects.filter(tenant=tenant).first()


def autoreply_log_page(*, tenant: Tenant, page: int | str | None = 1) -> Page[AutoReplyLog]:
    qs = AutoReplyLog.objects.filter(tenant=tenant).order_by("-created_at", "-id")
    return Paginator(qs, PAGE_SIZE).get_page(page)


def reminder_settings_get(*, tenant: Tenant) -> ReminderSettings | None:
    return ReminderSettings.objects.filter(tenant=tenant).first()


def reminder_log_page(*, tenant: Tenant, page: int | str | None = 1) -> Page[ReminderLog]:
    qs = (
        ReminderLog.objects.filter(tenant=tenant)
        .select_related("appointment__patient", "appointment__professional", "message")
        .order_by("-created_at", "-id")
    )
    return Paginator(qs, PAGE_SIZE).get_page(page)
