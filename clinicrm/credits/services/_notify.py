"""In-app notifications raised by the credits app (no personal data in the text): for a tenant's
owners and admins, or for the SaaS staff about one tenant."""

from clinicrm.core.models import MANAGER_ROLES, Tenant, User
from clinicrm.core.notifications import notification_send, notification_send_roles

WHATSAPP_CREDITS_URL = "/configuracoes/creditos-whatsapp"


def managers_notify(*, tenant: Tenant, kind: str, title: str, body: str, url: str = "") -> int:
    """One notification per active owner/admin of the tenant; returns how many were created."""
    return notification_send_roles(
        tenant=tenant, roles=MANAGER_ROLES, kind=kind, title=title, body=body, url=url
    )


def staff_notify(*, tenant: Tenant, kind: str, title: str, body: str, url: str) -> int:
    """One notification per active SaaS staff user, about `tenant`; returns how many."""
    user_ids = User.objects.filter(is_staff=True, is_active=True).values_list("pk", flat=True)
    return notification_send(
        tenant=tenant, user_ids=list(user_ids), kind=kind, title=title, body=body, url=url
    )
