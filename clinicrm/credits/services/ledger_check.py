"""The ledger's consistency probe: every tenant's cached balance equals the sum of its rows.

The services keep both in one transaction, so a difference means something wrote around them
(a manual UPDATE, a restored backup, a bug). Nothing is corrected automatically: the SaaS staff
are told which clinic, and the balance stays as it is until someone looks.
"""

from dataclasses import dataclass

from django.db.models import F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from clinicrm.core.models import Notification, Tenant
from clinicrm.core.services import audit_log_record
from clinicrm.credits.models import CreditBalance, CreditTransaction
from clinicrm.credits.services._notify import staff_notify

MISMATCH_KIND = "credits.ledger_mismatch"


@dataclass(frozen=True, kw_only=True)
class LedgerMismatch:
    tenant_id: object
    balance: int
    total: int


def credits_ledger_mismatches() -> list[LedgerMismatch]:
    """Tenants whose balance row differs from the sum of their transaction rows (one query),
    plus tenants with rows but no balance row."""
    row_sum = (
        CreditTransaction.objects.filter(tenant=OuterRef("tenant"))
        .order_by()
        .values("tenant")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    with_balance = (
        CreditBalance.objects.annotate(
            total=Coalesce(Subquery(row_sum, output_field=IntegerField()), Value(0))
        )
        .exclude(balance=F("total"))
        .values_list("tenant_id", "balance", "total")
    )
    orphans = (
        CreditTransaction.objects.exclude(tenant__in=CreditBalance.objects.values("tenant"))
        .order_by()
        .values("tenant")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .values_list("tenant", "total")
    )
    found = [LedgerMismatch(tenant_id=t, balance=b, total=s) for t, b, s in with_balance]
    found += [LedgerMismatch(tenant_id=t, balance=0, total=s) for t, s in orphans]
    return found


def credits_ledger_check() -> int:
    """Compare every balance with its rows; for each mismatch record an audit entry and tell
    the SaaS staff (once while it lasts: no new notice while an unread one is waiting).
    Returns how many tenants are out of balance."""
    mismatches = credits_ledger_mismatches()
    tenants = Tenant.objects.in_bulk([m.tenant_id for m in mismatches])
    for mismatch in mismatches:
        tenant = tenants[mismatch.tenant_id]
        audit_log_record(
            action="credits.ledger_mismatch",
            tenant=tenant,
            object_type="creditbalance",
            object_id=str(tenant.pk),
            details={"balance": mismatch.balance, "sum": mismatch.total},
        )
        if Notification.objects.filter(
            tenant=tenant, kind=MISMATCH_KIND, read_at__isnull=True
        ).exists():
            continue
        staff_notify(
            tenant=tenant,
            kind=MISMATCH_KIND,
            title="Saldo de créditos WhatsApp diverge do extrato",
            body=(
                f"{tenant.name}: o saldo guardado é {mismatch.balance} créditos, mas a soma das "
                f"movimentações dá {mismatch.total}. Confira antes de qualquer ajuste."
            ),
            url=f"/saas/addons/topup-whatsapp?tenant={tenant.pk}",
        )
    return len(mismatches)
