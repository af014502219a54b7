"""Factories for the tenant-isolation walker (tests/test_tenant_isolation.py)."""

from collections.abc import Callable

from clinicrm.core.models import Membership, Role, Tenant, User


def _membership(tenant: Tenant) -> str:
    user = User.objects.create_user(email=f"member-{User.objects.count()}@iso.test")
    return str(Membership.objects.create(tenant=tenant, user=user, role=Role.SECRETARY).pk)


FACTORIES: dict[str, Callable[[Tenant], str]] = {"membership_id": _membership}
EXEMPT: dict[str, str] = {}
