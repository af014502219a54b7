"""Writes of the SaaS staff console.

Catalogue objects (add-on products, WhatsApp credit packages) are global, not tenant-owned.
Per-tenant add-on credit settings and WhatsApp top-ups concern one tenant, so their audit rows
carry that tenant. Audit details hold field names only, never values typed by staff.
Credit movements never bypass the ledger: top-ups and adjustments go through
`clinicrm.credits.services`, which keeps balance and transactions consistent.
"""

from typing import Any

from django.db import transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Notification, Tenant, User
from clinicrm.core.services import audit_log_record
from clinicrm.credits import services as credit_services
from clinicrm.credits.errors import InsufficientCredits
from clinicrm.credits.models import (
    AddonCredit,
    AddonProduct,
    CreditBalance,
    CreditPackage,
    CreditTransaction,
    TransactionKind,
)

PRODUCT_FIELDS = (
    "slug",
    "name",
    "description",
    "addon_type",
    "credits_amount",
    "price_cents",
    "currency",
    "is_active",
    "is_visible",
    "sort_order",
)
PACKAGE_FIELDS = (
    "name",
    "description",
    "credits",
    "price_brl",
    "is_active",
    "is_featured",
    "position",
)


def _apply(obj: Any, data: dict[str, Any], fields: tuple[str, ...]) -> list[str]:
    """Set `fields` from `data` on `obj`; return the names of those that changed."""
    changed = []
    for name in fields:
        if name in data and getattr(obj, name) != data[name]:
            setattr(obj, name, data[name])
            changed.append(name)
    return changed


# ------------------------------------------------------------------------- add-on products


def _product_slug_check(*, slug: str, exclude_pk: Any = None) -> None:
    # Unique among non-deleted products: a soft-deleted product frees its slug.
    qs = AddonProduct.objects.filter(slug=slug, deleted_at__isnull=True)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ApplicationError("Já existe um produto com este identificador.", field="slug")


def _product_validate(data: dict[str, Any]) -> None:
    if data.get("price_cents", 0) < 0:
        raise ApplicationError("O preço não pode ser negativo.", field="price")
    if data.get("credits_amount", 0) < 0:
        raise ApplicationError("Os créditos não podem ser negativos.", field="credits_amount")


@transaction.atomic
def addon_product_create(
    *, actor: Any, data: dict[str, Any], ip: str | None = None
) -> AddonProduct:
    _product_validate(data)
    _product_slug_check(slug=data["slug"])
    product = AddonProduct.objects.create(**{f: data[f] for f in PRODUCT_FIELDS if f in data})
    audit_log_record(
        action="saas.addon_product.create",
        user=actor,
        obj=product,
        ip=ip,
        details={"fields": [f for f in PRODUCT_FIELDS if f in data]},
    )
    return product


@transaction.atomic
def addon_product_update(
    *, product: AddonProduct, actor: Any, data: dict[str, Any], ip: str | None = None
) -> AddonProduct:
    product = AddonProduct.objects.select_for_update().get(pk=product.pk, deleted_at__isnull=True)
    _product_validate(data)
    if "slug" in data:
        _product_slug_check(slug=data["slug"], exclude_pk=product.pk)
    changed = _apply(product, data, PRODUCT_FIELDS)
    if changed:
        product.save()
    audit_log_record(
        action="saas.addon_product.update",
        user=actor,
        obj=product,
        ip=ip,
        details={"fields": changed},
    )
    return product


@transaction.atomic
def addon_product_delete(*, product: AddonProduct, actor: Any, ip: str | None = None) -> None:
    # Soft delete: transactions keep pointing at the product for the statement's history.
    updated = AddonProduct.objects.filter(pk=product.pk, deleted_at__isnull=True).update(
        deleted_at=timezone.now(), is_active=False, updated_at=timezone.now()
    )
    if not updated:
        raise ApplicationError("Este produto já foi excluído.")
    audit_log_record(
        action="saas.addon_product.delete",
        user=actor,
        obj=product,
        ip=ip,
        details={"fields": ["deleted_at", "is_active"]},
    )


# ------------------------------------------------------------------- WhatsApp credit packages


def _package_validate(data: dict[str, Any]) -> None:
    # The database checks these too; here they become pt-BR messages instead of IntegrityErrors.
    name = data.get("name")
    if name is not None and not (1 <= len(name) <= 100):
        raise ApplicationError("O nome deve ter de 1 a 100 caracteres.", field="name")
    if "credits" in data and data["credits"] <= 0:
        raise ApplicationError("A quantidade de créditos deve ser maior que zero.", field="credits")
    if "price_brl" in data and data["price_brl"] <= 0:
        raise ApplicationError("O preço deve ser maior que zero.", field="price_brl")


@transaction.atomic
def credit_package_create(
    *, actor: Any, data: dict[str, Any], ip: str | None = None
) -> CreditPackage:
    _package_validate(data)
    package = CreditPackage.objects.create(**{f: data[f] for f in PACKAGE_FIELDS if f in data})
    audit_log_record(
        action="saas.credit_package.create",
        user=actor,
        obj=package,
        ip=ip,
        details={"fields": [f for f in PACKAGE_FIELDS if f in data]},
    )
    return package


@transaction.atomic
def credit_package_update(
    *, package: CreditPackage, actor: Any, data: dict[str, Any], ip: str | None = None
) -> CreditPackage:
    package = CreditPackage.objects.select_for_update().get(pk=package.pk)
    _package_validate(data)
    changed = _apply(package, data, PACKAGE_FIELDS)
    if changed:
        package.save()
    audit_log_record(
        action="saas.credit_package.update",
        user=actor,
        obj=package,
        ip=ip,
        details={"fields": changed},
    )
    return package


@transaction.atomic
def credit_package_toggle_active(
    *, package: CreditPackage, actor: Any, ip: str | None = None
) -> CreditPackage:
    package = CreditPackage.objects.select_for_update().get(pk=package.pk)
    package.is_active = not package.is_active
    package.save(update_fields=["is_active", "updated_at"])
    audit_log_record(
        action="saas.credit_package.toggle",
        user=actor,
        obj=package,
        ip=ip,
        details={"fields": ["is_active"], "is_active": package.is_active},
    )
    return package


@transaction.atomic
def credit_package_delete(*, package: CreditPackage, actor: Any, ip: str | None = None) -> None:
    pk = package.pk
    try:
        # Purchases copy name/credits/price and keep a nullable link, so history survives.
        with transaction.atomic():
            package.delete()
    except ProtectedError as exc:
        raise ApplicationError(
            "Este pacote tem compras vinculadas; desative-o em vez de excluir."
        ) from exc
    audit_log_record(
        action="saas.credit_package.delete",
        user=actor,
        object_type="creditpackage",
        object_id=str(pk),
        ip=ip,
    )


# --------------------------------------------------------------------- add-on credits (tenant)


def addon_credit_update(
    *, credit: AddonCredit, actor: Any, data: dict[str, Any], ip: str | None = None
) -> AddonCredit:
    """Thresholds, limits, expiry and the active flag; balances only move through the ledger.

    The write and its audit row belong to `credits.services.addon_credit_settings_update`;
    this adds the console's rules (positive limits, hourly not above daily).
    """
    daily, hourly = data.get("daily_limit"), data.get("hourly_limit")
    for field in ("daily_limit", "hourly_limit"):
        if data.get(field) is not None and data[field] <= 0:
            raise ApplicationError("O limite deve ser maior que zero.", field=field)
    if daily is not None and hourly is not None and hourly > daily:
        raise ApplicationError(
            "O limite por hora não pode passar o limite diário.", field="hourly_limit"
        )
    return credit_services.addon_credit_settings_update(
        credit=credit,
        actor=actor,
        daily_limit=daily,
        hourly_limit=hourly,
        low_balance_threshold=data.get("low_balance_threshold"),
        expires_at=data.get("expires_at"),
        is_active=bool(data.get("is_active")),
    )


# ------------------------------------------------------------------------ WhatsApp top-ups

TOPUP = "topup"
ADJUSTMENT = "adjustment"


def whatsapp_topup_record(
    *, tenant: Tenant, operation: str, amount: int, note: str, actor: User
) -> CreditTransaction:
    """A manual top-up (amount > 0) or an adjustment (amount != 0, never below zero) by staff.

    The ledger writes the transaction with `admin_id = actor` and its audit row (tenant set,
    field names only), so nothing is duplicated here.
    """
    note = (note or "").strip()
    if not note:
        raise ApplicationError("Descreva o motivo.", field="note")
    if operation == TOPUP:
        if amount <= 0:
            raise ApplicationError("A recarga deve ser de pelo menos 1 crédito.", field="amount")
        return credit_services.credits_add(
            tenant=tenant,
            amount=amount,
            kind=TransactionKind.TOPUP_MANUAL,
            admin=actor,
            note=note,
        )
    if operation == ADJUSTMENT:
        if amount == 0:
            raise ApplicationError("O ajuste não pode ser zero.", field="amount")
        try:
            return credit_services.credits_adjust(
                tenant=tenant, amount=amount, admin=actor, note=note
            )
        except InsufficientCredits as exc:
            balance = CreditBalance.objects.filter(tenant=tenant).values_list("balance", flat=True)
            current = balance.first() or 0
            raise ApplicationError(
                f"O ajuste deixaria o saldo negativo: a clínica tem {current} créditos.",
                field="amount",
            ) from exc
    raise ApplicationError("Operação inválida.", field="operation")


def staff_notices_mark_read(*, user: User) -> int:
    """Mark every unread notice of the staff member read; returns how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
