"""Small builders for the saas tests."""

from decimal import Decimal
from typing import Any

from clinicrm.core.models import Tenant
from clinicrm.credits.models import (
    AddonCredit,
    AddonProduct,
    AddonTransaction,
    CreditPackage,
)


def make_package(**kw: Any) -> CreditPackage:
    data: dict[str, Any] = {"name": "Pacote 100", "credits": 100, "price_brl": Decimal("29.90")}
    data.update(kw)
    return CreditPackage.objects.create(**data)


def make_product(**kw: Any) -> AddonProduct:
    data: dict[str, Any] = {
        "slug": "sms-100",
        "name": "SMS 100",
        "addon_type": "sms",
        "credits_amount": 100,
        "price_cents": 1990,
    }
    data.update(kw)
    return AddonProduct.objects.create(**data)


def make_addon_credit(tenant: Tenant, **kw: Any) -> AddonCredit:
    data: dict[str, Any] = {"addon_type": "sms", "balance": 50, "total_purchased": 50}
    data.update(kw)
    return AddonCredit.objects.create(tenant=tenant, **data)


def make_addon_tx(tenant: Tenant, **kw: Any) -> AddonTransaction:
    data: dict[str, Any] = {
        "addon_type": "sms",
        "type": "purchase",
        "amount": 50,
        "balance_before": 0,
        "balance_after": 50,
    }
    data.update(kw)
    return AddonTransaction.objects.create(tenant=tenant, **data)
