"""Writes of the core app: audit trail, tenants and memberships (logins: core/accounts/)."""

from typing import Any

from django.db import transaction
from django.db.models import Model

from clinicrm.core.accounts.tasks import account_email_send_task
from clinicrm.core.client_ip import client_ip  # noqa: F401 - views import it from here
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import AuditLog, Membership, Role, Tenant, User


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


@transaction.atomic
def tenant_create(*, name: str, slug: str, cpf_cnpj: str | None = None) -> Tenant:
    return Tenant.objects.create(name=name, slug=slug, cpf_cnpj=cpf_cnpj or None)


@transaction.atomic
def tenant_state_set(
    *, tenant: Tenant, state: str, actor: Any = None, ip: str | None = None
) -> Tenant:
    """The state (UF) whose holidays count for the clinic (`core.holidays`); "" = none."""
    from clinicrm.core.holidays import STATE_CODES

    state = (state or "").strip().upper()
    if state and state not in STATE_CODES:
        raise ApplicationError("Estado inválido.", field="state")
    if tenant.state != state:
        Tenant.objects.filter(pk=tenant.pk).update(state=state)
        tenant.state = state
        audit_log_record(
            action="tenant.update",
            user=actor,
            tenant=tenant,
            obj=tenant,
            ip=ip,
            details={"fields": ["state"]},
        )
    return tenant


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


# --- Membership management by a clinic's owner/admin (members page) ---------------------------


def _membership_guard(
    *, actor: Membership, membership: Membership | None, new_role: str | None, leaving: bool
) -> None:
    """Who may do what to whom. `leaving`: the member stops being an active owner candidate."""
    if actor.role not in (Role.OWNER, Role.ADMIN):
        raise ApplicationError("Seu papel não permite gerenciar membros.", field="role")
    if new_role is not None and new_role not in Role.values:
        raise ApplicationError("Papel inválido.", field="role")
    if actor.role != Role.OWNER:
        if new_role == Role.OWNER and (membership is None or membership.role != Role.OWNER):
            raise ApplicationError(
                "Somente um proprietário pode tornar alguém proprietário.", field="role"
            )
        if membership is not None and membership.role == Role.OWNER:
            raise ApplicationError(
                "Somente um proprietário pode alterar outro proprietário.", field="role"
            )
    if membership is None or membership.role != Role.OWNER or not membership.is_active:
        return
    stops_being_owner = leaving or (new_role is not None and new_role != Role.OWNER)
    if not stops_being_owner:
        return
    # Lock the tenant's owner rows so two concurrent demotions cannot leave zero owners.
    others = (
        Membership.objects.select_for_update()
        .filter(tenant_id=membership.tenant_id, role=Role.OWNER, is_active=True)
        .exclude(pk=membership.pk)
    )
    if not list(others):
        raise ApplicationError(
            "A clínica precisa de pelo menos um proprietário ativo.", field="role"
        )


@transaction.atomic
def membership_add_by_email(
    *, actor: Membership, email: str, role: str, first_name: str = "", ip: str | None = None
) -> tuple[Membership, bool]:
    """Link an existing user, or create one with an unusable password. -> (membership, new)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ApplicationError("Informe um e-mail válido.", field="email") from exc
    _membership_guard(actor=actor, membership=None, new_role=role, leaving=False)
    user = User.objects.filter(email=email).first()
    created = user is None
    if user is None:
        user = User.objects.create_user(email=email, password=None, first_name=first_name[:150])
        audit_log_record(
            action="user.create",
            user=actor.user,
            tenant=actor.tenant,
            obj=user,
            ip=ip,
            details={"fields": ["email", "first_name"] if first_name else ["email"]},
        )
    membership = membership_create(
        tenant=actor.tenant, user=user, role=role, actor=actor.user, ip=ip
    )
    if not user.has_usable_password():
        member_invite_send(actor=actor, membership=membership, ip=ip)
    return membership, created


@transaction.atomic
def member_invite_send(
    *, actor: Membership, membership: Membership, ip: str | None = None, resend: bool = False
) -> None:
    """E-mail a member who has no password yet a link to set one (see core/accounts/)."""
    if membership.tenant_id != actor.tenant_id:
        raise ApplicationError("Membro não encontrado.", field="membership")
    _membership_guard(actor=actor, membership=membership, new_role=None, leaving=False)
    user = membership.user
    if user.has_usable_password():
        raise ApplicationError(
            "Esta pessoa já definiu uma senha e pode entrar normalmente.", field="membership"
        )
    if not membership.is_active:
        raise ApplicationError("Reative o membro antes de reenviar o convite.", field="membership")
    # A fresh unusable password changes what invitation tokens are computed from: the new
    # e-mail's link works, the earlier ones stop working.
    user.set_unusable_password()
    user.save(update_fields=["password"])
    account_email_send_task.enqueue(
        user_id=str(user.pk),
        kind="invite",
        tenant_id=str(actor.tenant_id),
        inviter_id=str(actor.user_id),
    )
    audit_log_record(
        action="membership.invite_sent",
        user=actor.user,
        tenant=actor.tenant,
        obj=membership,
        ip=ip,
        details={"resend": resend},
    )


@transaction.atomic
def membership_change(
    *, actor: Membership, membership: Membership, role: str, is_active: bool, ip: str | None = None
) -> Membership:
    if membership.tenant_id != actor.tenant_id:
        raise ApplicationError("Membro não encontrado.", field="membership")
    _membership_guard(
        actor=actor,
        membership=membership,
        new_role=role if role != membership.role else None,
        leaving=membership.is_active and not is_active,
    )
    return membership_update(
        membership=membership, role=role, is_active=is_active, actor=actor.user, ip=ip
    )


@transaction.atomic
def membership_remove(*, actor: Membership, membership: Membership, ip: str | None = None) -> None:
    if membership.tenant_id != actor.tenant_id:
        raise ApplicationError("Membro não encontrado.", field="membership")
    _membership_guard(actor=actor, membership=membership, new_role=None, leaving=True)
    membership_delete(membership=membership, actor=actor.user, ip=ip)
