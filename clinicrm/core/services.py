"""Writes of the core app: audit trail, login throttle, tenants and memberships."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import AuditLog, LoginAttempt, Membership, Role, Tenant, User


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_log_record(
    *,
    action: str,
    user: Any = None,
    tenant: Tenant | None = None,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Record who did what. `details` must hold no personal data (field names, counts, ids)."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name or ""
        object_id = object_id or str(obj.pk)
    return AuditLog.objects.create(
        action=action,
        user=user if (user is not None and user.is_authenticated) else None,
        tenant=tenant,
        object_type=object_type,
        object_id=object_id,
        ip_address=ip,
        details=details or {},
    )


def _throttle_since() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)


def login_is_throttled(*, email: str, ip: str | None) -> bool:
    since = _throttle_since()
    recent = LoginAttempt.objects.filter(created_at__gte=since)
    limit = settings.LOGIN_THROTTLE_MAX_FAILURES
    if recent.filter(email=email.strip().lower()).count() >= limit:
        return True
    # Per IP a little more room: a clinic's staff often share one public address.
    return bool(ip and recent.filter(ip_address=ip).count() >= limit * 4)


def login_failure_record(*, email: str, ip: str | None) -> None:
    email = email.strip().lower()
    LoginAttempt.objects.create(email=email, ip_address=ip)
    user = User.objects.filter(email=email).first()
    audit_log_record(
        action="auth.login_failed",
        object_type="user",
        object_id=str(user.pk) if user else "",
        ip=ip,
    )


def login_success_record(*, user: User, ip: str | None) -> None:
    LoginAttempt.objects.filter(email=user.email.lower()).delete()
    audit_log_record(
        action="auth.login", user=user, object_type="user", object_id=str(user.pk), ip=ip
    )


@transaction.atomic
def tenant_create(*, name: str, slug: str, cpf_cnpj: str | None = None) -> Tenant:
    return Tenant.objects.create(name=name, slug=slug, cpf_cnpj=cpf_cnpj or None)


@transaction.atomic
def membership_create(
    *, tenant: Tenant, user: User, role: str, actor: Any = None, ip: str | None = None
) -> Membership:
    if role not in Role.values:
        raise ApplicationError("Papel inválido.", field="role")
    if Membership.objects.filter(tenant=tenant, user=user).exists():
        raise ApplicationError("Este usuário já faz parte da clínica.", field="user")
    membership = Membership.objects.create(tenant=tenant, user=user, role=role)
    audit_log_record(
        action="membership.create",
        user=actor,
        tenant=tenant,
        obj=membership,
        ip=ip,
        details={"role": role},
    )
    return membership


@transaction.atomic
def membership_update(
    *, membership: Membership, role: str, is_active: bool, actor: Any = None, ip: str | None = None
) -> Membership:
    if role not in Role.values:
        raise ApplicationError("Papel inválido.", field="role")
    changed = [
        f for f, v in (("role", role), ("is_active", is_active)) if getattr(membership, f) != v
    ]
    membership.role = role
    membership.is_active = is_active
    membership.save(update_fields=["role", "is_active", "updated_at"])
    audit_log_record(
        action="membership.update",
        user=actor,
        tenant=membership.tenant,
        obj=membership,
        ip=ip,
        details={"fields": changed},
    )
    return membership


@transaction.atomic
def membership_delete(*, membership: Membership, actor: Any = None, ip: str | None = None) -> None:
    tenant, pk = membership.tenant, membership.pk
    membership.delete()
    audit_log_record(
        action="membership.delete",
        user=actor,
        tenant=tenant,
        object_type="membership",
        object_id=str(pk),
        ip=ip,
    )
