"""A credit purchase's state machine: what a payment event (a webhook, or a poll in
`purchases.purchase_refresh_status`) does to the purchase.

Every transition locks the purchase row; crediting goes through the ledger's
`credits_add(kind="purchase", purchase=...)`, unique per purchase, so any replay or race of a
"paid" event credits exactly once. A late payment of an expired, cancelled or failed purchase is
honoured (the money arrived); a refund after credit removes what it can and flags the remainder
for SaaS staff.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from clinicrm.core.services import audit_log_record
from clinicrm.credits.models import CreditPurchase, PurchaseStatus, TransactionKind
from clinicrm.credits.services import credits_add, credits_purchase_reverse
from clinicrm.credits.services._notify import WHATSAPP_CREDITS_URL, managers_notify, staff_notify
from clinicrm.credits.signals import credits_changed


def _locked(purchase: CreditPurchase) -> CreditPurchase:
    return CreditPurchase.objects.select_for_update().select_related("tenant").get(pk=purchase.pk)


def _set_status(purchase: CreditPurchase, status: str, *, action: str, **fields: Any) -> None:
    purchase.status = status
    for name, value in fields.items():
        setattr(purchase, name, value)
    purchase.save(update_fields=["status", *fields.keys(), "updated_at"])
    credits_changed.send(sender=CreditPurchase, tenant=purchase.tenant, purchase_id=purchase.pk)
    audit_log_record(
        action=action,
        tenant=purchase.tenant,
        obj=purchase,
        details={"fields": ["status", *fields.keys()], "status": status},
    )


def purchase_payment_received(*, purchase: CreditPurchase) -> bool:
    """The PIX money arrived: mark paid and credit once. Returns True if credited now."""
    with transaction.atomic():
        purchase = _locked(purchase)
        if purchase.status == PurchaseStatus.REFUNDED:
            return False
        already = purchase.transactions.filter(kind=TransactionKind.PURCHASE).exists()
        credits_add(
            tenant=purchase.tenant,
            amount=purchase.credits,
            kind=TransactionKind.PURCHASE,
            purchase=purchase,
            note=f"Compra PIX: {purchase.package_name}",
        )
        if purchase.status != PurchaseStatus.PAID:
            _set_status(
                purchase,
                PurchaseStatus.PAID,
                action="credits.purchase_paid",
                paid_at=timezone.now(),
            )
        if not already:
            managers_notify(
                tenant=purchase.tenant,
                kind="credits.payment_received",
                title="Pagamento recebido",
                body=(
                    f"O pagamento PIX de {purchase.credits} créditos WhatsApp foi confirmado "
                    "e o saldo já foi creditado."
                ),
                url=WHATSAPP_CREDITS_URL,
            )
        return not already


def purchase_payment_overdue(*, purchase: CreditPurchase) -> None:
    with transaction.atomic():
        purchase = _locked(purchase)
        if purchase.status == PurchaseStatus.PENDING:
            _set_status(purchase, PurchaseStatus.EXPIRED, action="credits.purchase_expired")


def purchase_payment_deleted(*, purchase: CreditPurchase) -> None:
    with transaction.atomic():
        purchase = _locked(purchase)
        if purchase.status in (PurchaseStatus.PENDING, PurchaseStatus.EXPIRED):
            _set_status(purchase, PurchaseStatus.CANCELLED, action="credits.purchase_cancelled")


def purchase_payment_restored(*, purchase: CreditPurchase) -> None:
    with transaction.atomic():
        purchase = _locked(purchase)
        if purchase.status == PurchaseStatus.CANCELLED:
            _set_status(purchase, PurchaseStatus.PENDING, action="credits.purchase_restored")


def _staff_flag(*, purchase: CreditPurchase, title: str, body: str, details: dict) -> None:
    audit_log_record(
        action="credits.purchase_needs_review",
        tenant=purchase.tenant,
        obj=purchase,
        details=details,
    )
    staff_notify(
        tenant=purchase.tenant,
        kind="credits.refund_review",
        title=title,
        body=body,
        url="/saas/addons",
    )


def purchase_payment_refunded(*, purchase: CreditPurchase) -> int:
    """Full refund: remove the purchase's credits that are still there; returns the shortfall
    (credits already used) that was flagged for staff."""
    with transaction.atomic():
        purchase = _locked(purchase)
        if purchase.status == PurchaseStatus.REFUNDED:
            return 0
        _row, shortfall = credits_purchase_reverse(
            purchase=purchase, note=f"Estorno do pagamento PIX: {purchase.package_name}"
        )
        _set_status(purchase, PurchaseStatus.REFUNDED, action="credits.purchase_refunded")
        if shortfall > 0:
            _staff_flag(
                purchase=purchase,
                title="Estorno com créditos já consumidos",
                body=(
                    f"Uma compra de {purchase.credits} créditos foi estornada, mas {shortfall} "
                    "créditos já tinham sido usados e não puderam ser removidos."
                ),
                details={"reason": "refund_shortfall", "shortfall": shortfall},
            )
        return shortfall


def purchase_payment_partially_refunded(*, purchase: CreditPurchase) -> None:
    with transaction.atomic():
        purchase = _locked(purchase)
        _staff_flag(
            purchase=purchase,
            title="Estorno parcial de compra de créditos",
            body="Uma compra de créditos WhatsApp teve estorno parcial: decida o ajuste.",
            details={"reason": "partial_refund"},
        )
