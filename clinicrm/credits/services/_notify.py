"""In-app notifications for a tenant's owners and admins (no personal data in the text)."""

from clinicrm.core.models import MANAGER_ROLES, Membership, Notification, Tenant

WHATSAPP_CREDITS_URL = "/configuracoes/creditos-whatsapp"


def managers_notify(*, tenant: Tenant, kind: str, title: str, body: str, url: str = "") -> int:
    """One notification per active owner/admin of the tenant; returns how many were created."""
    user_ids = Membership.objects.filter(
        tenant=tenant, role__in=MANAGER_ROLES, is_active=True, user__is_active=True
    ).values_list("user_id", flat=True)
    rows = [
        Notification(tenant=tenant, user_id=user_id, kind=kind, title=title, body=body, url=url)
        for user_id in user_ids
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)
