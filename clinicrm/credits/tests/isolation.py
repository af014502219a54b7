"""Tenant-isolation walker hooks for the credits (and Asaas webhook) URLs."""

from collections.abc import Callable
from decimal import Decimal

from clinicrm.core.models import Tenant


def _purchase_id(tenant: Tenant) -> str:
    from clinicrm.credits.models import CreditPurchase

    purchase = CreditPurchase.objects.create(
        tenant=tenant,
        package_name="Pacote isolamento",
        credits=100,
        amount_brl=Decimal("19.90"),
        status="pending",
    )
    return str(purchase.pk)


FACTORIES: dict[str, Callable[[Tenant], str]] = {"purchase_id": _purchase_id}

EXEMPT: dict[str, str] = {}
