"""In-app notifications raised by the credits app (no personal data in the text): for a tenant's
owners and admins, or for the SaaS staff about one tenant."""

from typing import Any

from clinicrm.core.models import MANAGER_ROLES, Membership, Notification, Tenant, User

WHATSAPP_CREDITS_URL = "/configuracoes/creditos-whatsapp"


def _notify(
    *, tenant: Tenant, user_ids: list[Any], kind: str, title: str, body: str, url: str
) -> int:
    rows = [
        Notification(tenant=tenant, user_id=user_id, kind=kind, title=title, body=body, url=url)
        for user_id in user_ids
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


def managers_notify(*, tenant: Tenant, kind: str, title: str, body: str, url: str = "") -> int:
    """One notification per active owner/admin of the tenant; returns how many were created."""
    user_ids = Membership.objects.filter(
        tenant=tenant, role__in=MANAGER_ROLES, is_active=True, user__is_active=True
    ).values_list("user_id", flat=True)
    return _notify(
        tenant=tenant, user_ids=list(user_ids), kind=kind, title=title, body=body, url=url
    )


def staff_notify(*, tenant: Tenant, kind: str, title: str, body: str, url: str) -> int:
    """One notification per active SaaS staff user, about `tenant`; returns how many."""
    user_ids = User.objects.filter(is_staff=True, is_active=True).values_list("pk", flat=True)
    return _notify(
        tenant=tenant, user_ids=list(user_ids), kind=kind, title=title, body=body, url=url
    )
