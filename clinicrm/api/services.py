"""Writes of the API app: creating and revoking personal API tokens."""

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinicrm.api.models import ApiToken
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Membership, Tenant
from clinicrm.core.services import audit_log_record

TOKEN_SCHEME = "crm"
PREFIX_LENGTH = 10
MAX_ACTIVE_TOKENS = 20


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_split(raw: str) -> tuple[str, str] | None:
    """`crm_<prefix>_<secret>` -> (prefix, secret), or None when the shape is wrong."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_SCHEME:
        return None
    prefix, secret = parts[1], parts[2]
    if len(prefix) != PREFIX_LENGTH or len(secret) < 20:
        return None
    return prefix, secret


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    plain: str  # shown to the user exactly once, never stored


def _new_prefix() -> str:
    # Hex keeps the prefix free of the "_" separator.
    return secrets.token_hex(PREFIX_LENGTH // 2)


@transaction.atomic
def api_token_create(
    *, tenant: Tenant, user: Any, name: str, ip: str | None = None
) -> CreatedToken:
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Informe um nome para o token.", field="name")
    if len(name) > 100:
        raise ApplicationError("O nome pode ter no máximo 100 caracteres.", field="name")
    if not Membership.objects.filter(
        tenant=tenant, user=user, is_active=True, tenant__is_active=True
    ).exists():
        raise ApplicationError("Você não é membro ativo desta clínica.", field="user")
    active = ApiToken.objects.filter(tenant=tenant, user=user, revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise ApplicationError(
            f"Limite de {MAX_ACTIVE_TOKENS} tokens ativos atingido. Revogue um antes.",
            field="name",
        )
    prefix = _new_prefix()
    while ApiToken.objects.filter(prefix=prefix).exists():
        prefix = _new_prefix()
    plain = f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        tenant=tenant, user=user, name=name, prefix=prefix, token_hash=token_hash(plain)
    )
    audit_log_record(
        action="api_token.create",
        user=user,
        tenant=tenant,
        obj=token,
        ip=ip,
        details={"fields": ["name"]},
    )
    return CreatedToken(token=token, plain=plain)


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Any, ip: str | None = None) -> ApiToken:
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_log_record(action="api_token.revoke", user=actor, tenant=token.tenant, obj=token, ip=ip)
    return token


def api_token_touch(*, token: ApiToken) -> None:
    """Record use, at most once a minute, so busy clients don't write on every request."""
    now = timezone.now()
    if token.last_used_at and (now - token.last_used_at).total_seconds() < 60:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
