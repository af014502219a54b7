"""Factories for the tenant-isolation walker (tests/test_tenant_isolation.py)."""

from collections.abc import Callable

from clinicrm.core.models import Membership, Notification, Role, Tenant, User


def _membership(tenant: Tenant) -> str:
    user = User.objects.create_user(email=f"member-{User.objects.count()}@iso.test")
    return str(Membership.objects.create(tenant=tenant, user=user, role=Role.SECRETARY).pk)


def _notification(tenant: Tenant) -> str:
    user = User.objects.create_user(email=f"notified-{User.objects.count()}@iso.test")
    Membership.objects.create(tenant=tenant, user=user, role=Role.OWNER)
    notification = Notification.objects.create(
        tenant=tenant, user=user, kind="test", title="Aviso de teste", url="/"
    )
    return str(notification.pk)


FACTORIES: dict[str, Callable[[Tenant], str]] = {
    "membership_id": _membership,
    "notification_id": _notification,
}
EXEMPT: dict[str, str] = {
    "core:password_reset_confirm": "public signed link: the token, not a tenant, authorizes it",
    "core:invite_accept": "public signed link: the token, not a tenant, authorizes it",
}
