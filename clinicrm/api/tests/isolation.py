"""Factories for the tenant-isolation walker (tests/test_tenant_isolation.py)."""

from collections.abc import Callable

from clinicrm.api.services import api_token_create
from clinicrm.core.models import Membership, Role, Tenant, User


def _token(tenant: Tenant) -> str:
    user = User.objects.create_user(email=f"token-owner-{User.objects.count()}@iso.test")
    Membership.objects.create(tenant=tenant, user=user, role=Role.OWNER)
    return str(api_token_create(tenant=tenant, user=user, name="isolamento").token.pk)


FACTORIES: dict[str, Callable[[Tenant], str]] = {"token_id": _token}
EXEMPT: dict[str, str] = {}
