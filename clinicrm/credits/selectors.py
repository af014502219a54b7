"""Reads of the credits app: balances, statements and catalogues for the pages and the API.

Periods are São Paulo calendar days (`date_from`/`date_to` inclusive), turned into UTC bounds.
"""

import datetime as dt
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet, Sum

from clinicrm.core.models import Tenant
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.credits.models import (
    AddonCredit,
    AddonProduct,
    AddonTransaction,
    CreditBalance,
    CreditPackage,
    CreditPurchase,
    CreditTransaction,
    PurchaseStatus,
    TransactionKind,
)

DEFAULT_PER_PAGE = 25
STAFF_MOVEMENT_KINDS = (
    TransactionKind.TOPUP_MANUAL,
    TransactionKind.ADJUSTMENT,
    TransactionKind.REFUND,
)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=SAO_PAULO)


def created_between(
    qs: QuerySet[Any], date_from: dt.date | None, date_to: dt.date | None
) -> QuerySet[Any]:
    """Rows created on São Paulo days `date_from`..`date_to` (inclusive; either may be None)."""
    if date_from is not None:
        qs = qs.filter(created_at__gte=_day_start(date_from))
    if date_to is not None:
        qs = qs.filter(created_at__lt=_day_start(date_to + dt.timedelta(days=1)))
    return qs


def _page(qs: QuerySet[Any], page: int | str | None, per_page: int) -> Page[Any]:
    return Paginator(qs, per_page).get_page(page)


# --------------------------------------------------------------------------- WhatsApp credits


def credits_balance_value(*, tenant: Tenant) -> int:
    """Current balance (0 before the first movement)."""
    value = CreditBalance.objects.filter(tenant=tenant).values_list("balance", flat=True).first()
    return value or 0


def credits_balance_row(*, tenant: Tenant) -> CreditBalance | None:
    return CreditBalance.objects.filter(tenant=tenant).first()


def credits_balance_get(*, tenant: Tenant) -> CreditBalance:
    """The tenant's balance row, or before its first movement an unsaved one with the model's
    defaults (balance 0, the default low-balance threshold)."""
    return credits_balance_row(tenant=tenant) or CreditBalance(tenant=tenant)


def credits_transactions_list(
    *,
    tenant: Tenant,
    kind: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[CreditTransaction]:
    qs = CreditTransaction.objects.filter(tenant=tenant).select_related("admin", "purchase")
    if kind:
        qs = qs.filter(kind=kind)
    return created_between(qs, date_from, date_to).order_by("-created_at", "-id")


def credits_transactions_page(
    *,
    tenant: Tenant,
    page: int | str | None = 1,
    per_page: int = DEFAULT_PER_PAGE,
    kind: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> Page[CreditTransaction]:
    qs = credits_transactions_list(tenant=tenant, kind=kind, date_from=date_from, date_to=date_to)
    return _page(qs, page, per_page)


def credits_transactions_sum(*, tenant: Tenant) -> int:
    """Sum of all movements: equals the cached balance (a consistency probe)."""
    total = CreditTransaction.objects.filter(tenant=tenant).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def credits_staff_movements(
    *, tenant: Tenant | None = None, limit: int = 20
) -> QuerySet[CreditTransaction]:
    """Last top-up / adjustment / refund rows (all tenants for SaaS staff, or one tenant)."""
    qs = CreditTransaction.objects.filter(kind__in=STAFF_MOVEMENT_KINDS)
    if tenant is not None:
        qs = qs.filter(tenant=tenant)
    return qs.select_related("tenant", "admin").order_by("-created_at", "-id")[:limit]


def credit_packages_active() -> QuerySet[CreditPackage]:
    """Store order: featured first, then position, then size."""
    return CreditPackage.objects.filter(is_active=True).order_by(
        "-is_featured", "position", "credits"
    )


def credit_packages_all() -> QuerySet[CreditPackage]:
    return CreditPackage.objects.order_by("-is_featured", "position", "credits")


def credit_purchases_page(
    *, tenant: Tenant, page: int | str | None = 1, per_page: int = DEFAULT_PER_PAGE
) -> Page[CreditPurchase]:
    qs = CreditPurchase.objects.filter(tenant=tenant).order_by("-created_at")
    return _page(qs, page, per_page)


def credit_purchases_pending(*, tenant: Tenant) -> QuerySet[CreditPurchase]:
    """Purchases still waiting for their PIX payment, oldest first."""
    return CreditPurchase.objects.filter(tenant=tenant, status=PurchaseStatus.PENDING).order_by(
        "created_at"
    )


def credit_purchases_list(*, tenant: Tenant) -> QuerySet[CreditPurchase]:
    """A tenant's purchases, newest first (the API paginates it with limit/offset)."""
    return CreditPurchase.objects.filter(tenant=tenant).order_by("-created_at", "-id")


# --------------------------------------------------------------------------- add-on credits


def addon_credits_list(*, tenant: Tenant | None = None) -> QuerySet[AddonCredit]:
    qs = AddonCredit.objects.select_related("tenant").order_by("tenant__name", "addon_type")
    if tenant is not None:
        qs = qs.filter(tenant=tenant)
    return qs


def addon_products_list(*, include_deleted: bool = False) -> QuerySet[AddonProduct]:
    qs = AddonProduct.objects.order_by("sort_order", "name")
    if not include_deleted:
        qs = qs.filter(deleted_at__isnull=True)
    return qs


def addon_types_for_tenant(*, tenant: Tenant) -> list[str]:
    """Add-on types that appear in the tenant's balances or statement (for the type filter)."""
    types = set(AddonCredit.objects.filter(tenant=tenant).values_list("addon_type", flat=True))
    types |= set(
        AddonTransaction.objects.filter(tenant=tenant)
        .values_list("addon_type", flat=True)
        .distinct()
    )
    return sorted(types)


def addon_transactions_list(
    *,
    tenant: Tenant | None,
    addon_type: str | None = None,
    type: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AddonTransaction]:
    """Add-on statement rows, newest first. `tenant=None` only for SaaS staff views."""
    qs = AddonTransaction.objects.select_related("tenant", "product", "admin_user")
    if tenant is not None:
        qs = qs.filter(tenant=tenant)
    if addon_type:
        qs = qs.filter(addon_type=addon_type)
    if type:
        qs = qs.filter(type=type)
    return created_between(qs, date_from, date_to).order_by("-created_at", "-id")


def addon_transactions_page(
    *,
    tenant: Tenant | None,
    page: int | str | None = 1,
    per_page: int = DEFAULT_PER_PAGE,
    addon_type: str | None = None,
    type: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> Page[AddonTransaction]:
    qs = addon_transactions_list(
        tenant=tenant, addon_type=addon_type, type=type, date_from=date_from, date_to=date_to
    )
    return _page(qs, page, per_page)
