"""Reads of the API app: a user's tokens and the bearer-token lookup."""

import hmac
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from clinicrm.api.models import ApiToken
from clinicrm.api.services import token_hash, token_split
from clinicrm.core.models import Membership, Tenant


def api_token_list(*, tenant: Tenant, user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(tenant=tenant, user=user).order_by("-created_at", "-id")


@dataclass(frozen=True)
class ApiContext:
    """What a bearer token resolves to: the one tenant and membership of the request."""

    token: ApiToken
    membership: Membership

    @property
    def tenant(self) -> Tenant:
        return self.membership.tenant

    @property
    def user(self) -> Any:
        return self.membership.user


def api_token_authenticate(*, raw: str) -> ApiContext | None:
    parts = token_split(raw.strip())
    if parts is None:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(prefix=parts[0], revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.token_hash, token_hash(raw.strip())):
        return None
    if not token.user.is_active:
        return None
    membership = (
        Membership.objects.select_related("tenant", "user")
        .filter(
            tenant_id=token.tenant_id,
            user_id=token.user_id,
            is_active=True,
            tenant__is_active=True,
        )
        .first()
    )
    if membership is None:
        return None
    return ApiContext(token=token, membership=membership)
