"""Reads of the SaaS console. Staff see every tenant: nothing here filters by a tenant of theirs."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from clinicrm.core.models import Notification, Tenant, User
from clinicrm.core.timeutils import local_datetime
from clinicrm.credits.models import (
    AddonCredit,
    AddonProduct,
    AddonTransaction,
    CreditBalance,
    CreditPackage,
    CreditTransaction,
    TransactionKind,
)

STAFF_KINDS = (TransactionKind.TOPUP_MANUAL, TransactionKind.ADJUSTMENT, TransactionKind.REFUND)


def staff_notices_unread(*, user: User) -> QuerySet[Notification]:
    """The staff member's unread notices about any clinic (ledger divergences, refunds of used
    credits), newest first: staff belong to no clinic, so the bell never shows them."""
    return (
        Notification.objects.filter(user=user, read_at__isnull=True)
        .select_related("tenant")
        .order_by("-created_at", "-id")
    )


def saas_tenant_list(*, search: str = "") -> QuerySet[Tenant]:
    """Tenants with active member count and WhatsApp balance, filtered by name/slug/CPF/CNPJ."""
    balance = CreditBalance.objects.filter(tenant=OuterRef("pk")).values("balance")[:1]
    qs = Tenant.objects.annotate(
        members_count=Count("memberships", filter=Q(memberships__is_active=True), distinct=True),
        wa_balance=Coalesce(Subquery(balance, output_field=IntegerField()), Value(0)),
    ).order_by("name", "id")
    search = search.strip()
    if search:
        digits = "".join(ch for ch in search if ch.isalnum()).upper()
        cond = Q(name__icontains=search) | Q(slug__icontains=search)
        if digits:
            cond |= Q(cpf_cnpj__icontains=digits)
        qs = qs.filter(cond)
    return qs


def tenant_by_id(*, tenant_id: Any) -> Tenant | None:
    if not tenant_id:
        return None
    try:
        return Tenant.objects.filter(pk=tenant_id).first()
    except (ValidationError, ValueError, TypeError):
        return None


def whatsapp_balance_of(*, tenant: Tenant) -> int:
    row = CreditBalance.objects.filter(tenant=tenant).values_list("balance", flat=True).first()
    return row or 0


def staff_movements_recent(*, tenant: Tenant | None = None, limit: int = 20) -> list[Any]:
    """Last top-up/adjustment/refund rows, of one tenant or of all."""
    qs = CreditTransaction.objects.filter(kind__in=STAFF_KINDS).select_related("tenant", "admin")
    if tenant is not None:
        qs = qs.filter(tenant=tenant)
    return list(qs.order_by("-created_at", "-id")[:limit])


def addon_product_list(*, search: str = "") -> QuerySet[AddonProduct]:
    qs = AddonProduct.objects.filter(deleted_at__isnull=True).order_by("sort_order", "name")
    if search.strip():
        s = search.strip()
        qs = qs.filter(Q(name__icontains=s) | Q(slug__icontains=s) | Q(addon_type__icontains=s))
    return qs


def credit_package_list() -> QuerySet[CreditPackage]:
    return CreditPackage.objects.order_by("-is_featured", "position", "credits", "id")


def addon_credit_list(
    *, tenant: Tenant | None = None, addon_type: str = ""
) -> QuerySet[AddonCredit]:
    qs = AddonCredit.objects.select_related("tenant").order_by("tenant__name", "addon_type")
    if tenant is not None:
        qs = qs.filter(tenant=tenant)
    if addon_type.strip():
        qs = qs.filter(addon_type__icontains=addon_type.strip())
    return qs


def addon_transaction_list(
    *,
    tenant: Tenant | None = None,
    type: str = "",
    addon_type: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[AddonTransaction]:
    """Filtered add-on movements; the period is inclusive São Paulo calendar days."""
    qs = AddonTransaction.objects.select_related("tenant", "product", "admin_user").order_by(
        "-created_at", "-id"
    )
    if tenant is not None:
        qs = qs.filter(tenant=tenant)
    if type:
        qs = qs.filter(type=type)
    if addon_type.strip():
        qs = qs.filter(addon_type__icontains=addon_type.strip())
    if start:
        qs = qs.filter(created_at__gte=local_datetime(start, dt.time.min))
    if end:
        qs = qs.filter(created_at__lt=local_datetime(end + dt.timedelta(days=1), dt.time.min))
    return qs
