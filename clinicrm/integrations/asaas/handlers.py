"""One function per Asaas event type, dispatched by `HANDLERS` (thin: purchases.py decides).

Each handler runs inside `inbound_event_process`'s transaction with the event row locked. It
finds the credit purchase by the Asaas payment id (or our purchase id sent as
`externalReference`), checks the value, and calls the purchase service. An event about a payment
we do not know raises `EventIgnored`: the event is marked ignored with the reason and nothing
else changes. Payloads are parsed leniently: Asaas adds fields without notice.
"""

import json
import logging
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from clinicrm.credits.models import CreditPurchase, PurchaseStatus
from clinicrm.credits.purchase_states import (
    purchase_payment_deleted,
    purchase_payment_overdue,
    purchase_payment_partially_refunded,
    purchase_payment_received,
    purchase_payment_refunded,
    purchase_payment_restored,
)
from clinicrm.credits.purchases import purchase_payment_gateway_check
from clinicrm.integrations.asaas import constants as c
from clinicrm.integrations.models import InboundEvent
from clinicrm.integrations.services import EventIgnored

logger = logging.getLogger(__name__)


def _payment(event: InboundEvent) -> dict[str, Any]:
    payload = json.loads(event.body_bytes)
    payment = payload.get("payment") if isinstance(payload, dict) else None
    if not isinstance(payment, dict) or not payment.get("id"):
        raise EventIgnored("event without payment")
    return payment


def _purchase(event: InboundEvent, payment: dict[str, Any]) -> Any:
    payment_id = str(payment["id"])
    purchase = CreditPurchase.objects.filter(asaas_payment_id=payment_id).first()
    if purchase is None:
        try:
            ref = uuid.UUID(str(payment.get("externalReference") or ""))
        except ValueError:
            ref = None
        if ref is not None:
            purchase = CreditPurchase.objects.filter(pk=ref, asaas_payment_id__isnull=True).first()
            if purchase is not None:
                # The webhook beat purchase_start's write of the payment id.
                CreditPurchase.objects.filter(pk=purchase.pk).update(asaas_payment_id=payment_id)
    if purchase is None:
        raise EventIgnored("unknown payment")
    event.tenant = purchase.tenant
    return purchase


def _check_value(purchase: Any, payment: dict[str, Any]) -> None:
    try:
        value = Decimal(str(payment.get("value")))
    except (InvalidOperation, ValueError) as exc:
        raise EventIgnored("payment without value") from exc
    if value != purchase.amount_brl:
        logger.warning("asaas payment value differs from purchase %s", purchase.pk)
        raise EventIgnored("payment value differs from purchase amount")


def handle_payment_received(*, event: InboundEvent) -> None:
    """Credits only what Asaas itself confirms (read back through its API): the webhook's word
    is not enough. A purchase already paid or refunded credits nothing more, so its replays
    ask nothing."""
    payment = _payment(event)
    purchase = _purchase(event, payment)
    _check_value(purchase, payment)
    if purchase.status not in (PurchaseStatus.PAID, PurchaseStatus.REFUNDED):
        refused = purchase_payment_gateway_check(purchase=purchase)
        if refused:
            raise EventIgnored(refused)
    purchase_payment_received(purchase=purchase)


def handle_payment_overdue(*, event: InboundEvent) -> None:
    payment = _payment(event)
    purchase_payment_overdue(purchase=_purchase(event, payment))


def handle_payment_deleted(*, event: InboundEvent) -> None:
    payment = _payment(event)
    purchase_payment_deleted(purchase=_purchase(event, payment))


def handle_payment_restored(*, event: InboundEvent) -> None:
    payment = _payment(event)
    purchase_payment_restored(purchase=_purchase(event, payment))


def handle_payment_refunded(*, event: InboundEvent) -> None:
    payment = _payment(event)
    purchase_payment_refunded(purchase=_purchase(event, payment))


def handle_payment_partially_refunded(*, event: InboundEvent) -> None:
    payment = _payment(event)
    purchase_payment_partially_refunded(purchase=_purchase(event, payment))


def handle_payment_informational(*, event: InboundEvent) -> None:
    """CREATED / UPDATED: nothing to change, but tie the event to its tenant when known."""
    payment = _payment(event)
    _purchase(event, payment)


HANDLERS: dict[str, Callable[..., None]] = {
    c.PAYMENT_CREATED: handle_payment_informational,
    c.PAYMENT_UPDATED: handle_payment_informational,
    c.PAYMENT_CONFIRMED: handle_payment_received,
    c.PAYMENT_RECEIVED: handle_payment_received,
    c.PAYMENT_OVERDUE: handle_payment_overdue,
    c.PAYMENT_DELETED: handle_payment_deleted,
    c.PAYMENT_RESTORED: handle_payment_restored,
    c.PAYMENT_REFUNDED: handle_payment_refunded,
    c.PAYMENT_PARTIALLY_REFUNDED: handle_payment_partially_refunded,
}
