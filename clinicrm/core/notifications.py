"""In-app notifications (the bell): selectors and services, always per user AND tenant.

A member of two clinics sees, in each clinic, only that clinic's notifications. Rows are created
by other apps (e.g. credits' low-balance warnings) with pt-BR text and no personal data, always
through `notification_send` (or `notification_send_roles`), which leaves out the members who
switched that kind off on their preferences page. `KINDS` lists the kinds a member can choose
(the SaaS staff's own kinds are not listed: staff have no clinic preferences page).

The bell also shows the inbox (unread conversations, the live popup). Core knows no inbox: the
app that owns conversations registers an `InboxFeed` from its AppConfig.ready().
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from clinicrm.core.models import (
    CLINIC_ROLES,
    MANAGER_ROLES,
    Membership,
    Notification,
    NotificationPreference,
    Role,
    Tenant,
    User,
)

PANEL_LIMIT = 10
PAGE_SIZE = 20


ALL_ROLES = frozenset(Role.values)


@dataclass(frozen=True)
class Kind:
    code: str
    label: str  # pt-BR, as the preferences page shows it
    roles: frozenset[str]  # the roles that can receive it (the page shows only these)


KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind("conversation.assigned", "Uma conversa foi atribuída a você", ALL_ROLES),
        Kind("appointment.confirmed_by_reply", "Consulta confirmada pelo paciente", ALL_ROLES),
        Kind("appointment.cancelled_by_reply", "Consulta cancelada pelo paciente", ALL_ROLES),
        Kind("reminders.preflight", "Lembretes que não poderão ser enviados", CLINIC_ROLES),
        Kind("reminders.failed", "Falha no envio de lembretes", CLINIC_ROLES),
        Kind("channel.disconnected", "WhatsApp da clínica desconectado", CLINIC_ROLES),
        Kind("credits.payment_received", "Pagamento de créditos recebido", MANAGER_ROLES),
        Kind("credits.low_balance", "Saldo de créditos WhatsApp baixo", MANAGER_ROLES),
        Kind("addons.low_balance", "Saldo baixo de créditos adicionais", MANAGER_ROLES),
        Kind("lgpd.export_ready", "Exportação de dados (LGPD) pronta", MANAGER_ROLES),
    )
}


def _muted(*, tenant: Tenant, kind: str, user_ids: list[Any]) -> set[str]:
    return {
        str(u)
        for u in NotificationPreference.objects.filter(
            tenant=tenant, kind=kind, enabled=False, user_id__in=user_ids
        ).values_list("user_id", flat=True)
    }


def notification_send(
    *, tenant: Tenant, user_ids: Any, kind: str, title: str, body: str = "", url: str = ""
) -> int:
    """One notification per member in `user_ids` who has not switched `kind` off; returns how
    many were created. Text in pt-BR without personal data: link to the object instead."""
    ids = list(dict.fromkeys(user_ids))
    muted = _muted(tenant=tenant, kind=kind, user_ids=ids)
    rows = [
        Notification(tenant=tenant, user_id=u, kind=kind, title=title, body=body, url=url)
        for u in ids
        if str(u) not in muted
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


def notification_send_roles(
    *, tenant: Tenant, roles: frozenset[str], kind: str, title: str, body: str = "", url: str = ""
) -> int:
    """`notification_send` to every active member of `tenant` with one of `roles`."""
    user_ids = Membership.objects.filter(
        tenant=tenant, role__in=roles, is_active=True, user__is_active=True
    ).values_list("user_id", flat=True)
    return notification_send(
        tenant=tenant, user_ids=list(user_ids), kind=kind, title=title, body=body, url=url
    )


def notification_kinds_for(*, role: str) -> list[Kind]:
    return [k for k in KINDS.values() if role in k.roles]


def notification_preferences_get(*, tenant: Tenant, user: User, role: str) -> dict[str, bool]:
    """kind -> on/off for the kinds the member's role receives (no row = on)."""
    saved = dict(
        NotificationPreference.objects.filter(tenant=tenant, user=user).values_list(
            "kind", "enabled"
        )
    )
    return {k.code: saved.get(k.code, True) for k in notification_kinds_for(role=role)}


@transaction.atomic
def notification_preferences_set(
    *, tenant: Tenant, user: User, role: str, enabled: set[str]
) -> dict[str, bool]:
    """Save the member's choices: the kinds of their role in `enabled` arrive, the others not.
    Unknown kinds in `enabled` are ignored."""
    for kind in notification_kinds_for(role=role):
        NotificationPreference.objects.update_or_create(
            tenant=tenant, user=user, kind=kind.code, defaults={"enabled": kind.code in enabled}
        )
    return notification_preferences_get(tenant=tenant, user=user, role=role)


@dataclass(frozen=True)
class InboxFeed:
    unread_count: Callable[..., int]  # (*, tenant) -> conversations with unread messages
    inbox_url_name: str  # the list of conversations
    events_url_name: str  # the SSE stream the notifier listens to
    popup_url_name: str  # the "Nova mensagem de ..." fragment, given ?thread=<id>


_inbox_feed: list[InboxFeed] = []


def notification_inbox_register(feed: InboxFeed) -> None:
    _inbox_feed[:] = [feed]


def notification_inbox() -> InboxFeed | None:
    return _inbox_feed[0] if _inbox_feed else None


def notification_conversations_unread(*, tenant: Tenant) -> int:
    feed = notification_inbox()
    return feed.unread_count(tenant=tenant) if feed else 0


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
