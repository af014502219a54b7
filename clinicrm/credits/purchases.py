"""Buying WhatsApp credit packages by PIX through Asaas, and the purchase's state machine.

`purchase_start` validates everything locally first (package, price seen by the user, CPF/CNPJ
check digits) so bad input stores nothing; then it commits a `pending` purchase *before* calling
Asaas (a webhook may arrive before we finish) and fills in the Asaas ids, QR image and
copy-paste code. Asaas failures mark the purchase `failed` with a friendly pt-BR message.

Transitions driven by webhooks (`integrations.asaas.handlers`) or by polling
(`purchase_refresh_status`) all lock the purchase row; crediting goes through the ledger's
`credits_add(kind="purchase", purchase=...)`, unique per purchase, so any replay or race of
CONFIRMED/RECEIVED credits exactly once. A late payment of an expired, cancelled or failed
purchase is honoured (the money arrived); a refund after credit removes what it can and flags
the remainder for SaaS staff.
"""

import datetime as dt
import logging
import time
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant, User
from clinicrm.core.services import audit_log_record
from clinicrm.core.timeutils import SAO_PAULO, local_today
from clinicrm.credits.models import CreditPackage, CreditPurchase, PurchaseStatus, TransactionKind
from clinicrm.credits.services import credits_add, credits_purchase_reverse
from clinicrm.credits.services._notify import staff_notify
from clinicrm.credits.signals import credits_changed
from clinicrm.integrations.asaas import constants as asaas_c
from clinicrm.integrations.asaas.client import (
    MSG_BELOW_MINIMUM,
    AsaasClient,
    AsaasError,
    asaas_client_from_settings,
)
from clinicrm.people.documents import cpf_cnpj_validate

logger = logging.getLogger(__name__)

MSG_PACKAGE_UNAVAILABLE = "Pacote não encontrado ou indisponível. Atualize a página."
MSG_PRICE_CHANGED = (
    "O preço deste pacote mudou desde que a página foi aberta. "
    "Confira o novo valor e tente de novo."
)
MSG_PRICE_INVALID = "Preço inválido. Atualize a página e tente de novo."
# Polling Asaas burns its 12-hour quota: at most once per purchase in this window.
POLL_MIN_INTERVAL_SECONDS = 20


def _package_for(package_id: Any) -> CreditPackage:
    try:
        pk = uuid.UUID(str(package_id))
    except (TypeError, ValueError) as exc:
        raise ApplicationError(MSG_PACKAGE_UNAVAILABLE, field="package_id") from exc
    package = CreditPackage.objects.filter(pk=pk, is_active=True).first()
    if package is None:
        raise ApplicationError(MSG_PACKAGE_UNAVAILABLE, field="package_id")
    return package


def _price(expected_price: Any) -> Decimal:
    try:
        value = Decimal(str(expected_price).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise ApplicationError(MSG_PRICE_INVALID, field="expected_price") from exc
    if not value.is_finite():
        raise ApplicationError(MSG_PRICE_INVALID, field="expected_price")
    return value.quantize(Decimal("0.01"))


def _due_end(due: dt.date) -> dt.datetime:
    return dt.datetime.combine(due, dt.time(23, 59, 59), tzinfo=SAO_PAULO)


def _fail(purchase: CreditPurchase, error: AsaasError) -> None:
    with transaction.atomic():
        locked = CreditPurchase.objects.select_for_update().get(pk=purchase.pk)
        if locked.status == PurchaseStatus.PENDING:
            locked.status = PurchaseStatus.FAILED
            locked.failed_at = timezone.now()
            locked.save(update_fields=["status", "failed_at", "updated_at"])
            credits_changed.send(sender=CreditPurchase, tenant=locked.tenant, purchase_id=locked.pk)
            audit_log_record(
                action="credits.purchase_failed",
                tenant=locked.tenant,
                obj=locked,
                details={"asaas_code": error.code or "", "http_status": error.status or 0},
            )
        purchase.refresh_from_db()


def purchase_start(
    *,
    tenant: Tenant,
    actor: User | None,
    package_id: Any,
    expected_price: Any,
    cpf_cnpj: str,
    client: AsaasClient | None = None,
) -> CreditPurchase:
    """Create a PIX charge for a package; returns the pending purchase with its QR code."""
    package = _package_for(package_id)
    if _price(expected_price) != package.price_brl:
        raise ApplicationError(MSG_PRICE_CHANGED, field="package_id")
    if package.price_brl < Decimal(asaas_c.MIN_CHARGE_BRL):
        raise ApplicationError(MSG_BELOW_MINIMUM, field="package_id")
    document = cpf_cnpj_validate(cpf_cnpj, field="cpf_cnpj")

    with transaction.atomic():
        if tenant.cpf_cnpj != document:
            Tenant.objects.filter(pk=tenant.pk).update(cpf_cnpj=document)
            tenant.cpf_cnpj = document
            audit_log_record(
                action="tenant.update",
                user=actor,
                tenant=tenant,
                obj=tenant,
                details={"fields": ["cpf_cnpj"]},
            )
        due = local_today() + dt.timedelta(days=asaas_c.PIX_DUE_DAYS)
        purchase = CreditPurchase.objects.create(
            tenant=tenant,
            package=package,
            package_name=package.name,
            credits=package.credits,
            amount_brl=package.price_brl,
            status=PurchaseStatus.PENDING,
            expires_at=_due_end(due),
            created_by=actor,
        )
        audit_log_record(
            action="credits.purchase_start",
            user=actor,
            tenant=tenant,
            obj=purchase,
            details={"package_id": str(package.pk), "credits": package.credits},
        )

    owns_client = client is None
    try:
        api = client or asaas_client_from_settings()
    except AsaasError as error:
        _fail(purchase, error)
        raise ApplicationError(error.message) from error
    try:
        customer = api.customer_get_or_create(
            name=tenant.name, cpf_cnpj=document, external_reference=str(tenant.pk)
        )
        payment = api.payment_create_pix(
            customer_id=str(customer["id"]),
            value=package.price_brl,
            due_date=due,
            external_reference=str(purchase.pk),
            description=f"Clinicrm: {package.name} ({package.credits} créditos WhatsApp)",
        )
        CreditPurchase.objects.filter(pk=purchase.pk).update(
            asaas_customer_id=str(customer["id"]),
            asaas_payment_id=str(payment["id"]),
            asaas_payment_link=str(payment.get("invoiceUrl") or "") or None,
            updated_at=timezone.now(),
        )
        qr = _pix_qr(api, str(payment["id"]))
        CreditPurchase.objects.filter(pk=purchase.pk).update(
            asaas_pix_qrcode=str(qr.get("encodedImage") or ""),
            asaas_pix_copy_paste=str(qr.get("payload") or ""),
            updated_at=timezone.now(),
        )
    except AsaasError as error:
        _fail(purchase, error)
        raise ApplicationError(error.message) from error
    finally:
        if owns_client:
            api.close()
    credits_changed.send(sender=CreditPurchase, tenant=tenant, purchase_id=purchase.pk)
    purchase.refresh_from_db()
    return purchase


def _pix_qr(api: AsaasClient, payment_id: str) -> dict[str, Any]:
    # Some integrations see the QR not ready right after the charge is created: retry briefly.
    for attempt in range(3):
        try:
            return api.payment_pix_qr(payment_id=payment_id)
        except AsaasError as error:
            if attempt == 2 or error.status not in (None, 404, 500, 502, 503, 504):
                raise
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- state machine


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


# --------------------------------------------------------------------------- polling fallback

ASAAS_STATUS_ACTIONS = {
    "RECEIVED": purchase_payment_received,
    "CONFIRMED": purchase_payment_received,
    "OVERDUE": purchase_payment_overdue,
    "REFUNDED": purchase_payment_refunded,
}


def purchase_refresh_status(
    *, purchase: CreditPurchase, client: AsaasClient | None = None, force: bool = False
) -> CreditPurchase:
    """Ask Asaas about a pending purchase when its webhook is late (rate-limited per purchase)."""
    if purchase.status != PurchaseStatus.PENDING or not purchase.asaas_payment_id:
        return purchase
    key = f"asaas-poll:{purchase.pk}"
    if force:
        cache.set(key, 1, timeout=POLL_MIN_INTERVAL_SECONDS)
    elif not cache.add(key, 1, timeout=POLL_MIN_INTERVAL_SECONDS):
        return purchase
    owns_client = client is None
    try:
        api = client or asaas_client_from_settings()
    except AsaasError:
        return purchase
    try:
        payment = api.payment_get(payment_id=purchase.asaas_payment_id)
    except AsaasError as error:
        logger.info("asaas poll of purchase %s failed: %s", purchase.pk, error.code or error.status)
        return purchase
    finally:
        if owns_client:
            api.close()
    if payment.get("deleted"):
        purchase_payment_deleted(purchase=purchase)
    else:
        action = ASAAS_STATUS_ACTIONS.get(str(payment.get("status") or ""))
        if action is not None:
            action(purchase=purchase)
    purchase.refresh_from_db()
    return purchase
