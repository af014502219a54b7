"""Buying WhatsApp credit packages by PIX through the payment gateway (credits.gateway).

`purchase_start` validates everything locally first (package, price seen by the user, CPF/CNPJ
check digits) so bad input stores nothing; then it commits a `pending` purchase *before* calling
the gateway (a webhook may arrive before we finish) and fills in the gateway's ids, QR image and
copy-paste code. Gateway failures mark the purchase `failed` with a friendly pt-BR message.

What a payment event does to a purchase is `purchase_states`'; this module asks the gateway
(`purchase_payment_gateway_check` before crediting a webhook's word, `purchase_refresh_status`
when a webhook is late).
"""

import datetime as dt
import logging
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
from clinicrm.credits.gateway import (
    MSG_BELOW_MINIMUM,
    GatewayError,
    PaymentGateway,
    PaymentState,
    PixChargeRequest,
    payment_gateway,
)
from clinicrm.credits.models import CreditPackage, CreditPurchase, PurchaseStatus
from clinicrm.credits.purchase_states import (
    purchase_payment_deleted,
    purchase_payment_overdue,
    purchase_payment_received,
    purchase_payment_refunded,
)
from clinicrm.credits.signals import credits_changed
from clinicrm.people.documents import cpf_cnpj_validate

logger = logging.getLogger(__name__)

MSG_PACKAGE_UNAVAILABLE = "Pacote não encontrado ou indisponível. Atualize a página."
MSG_PRICE_CHANGED = (
    "O preço deste pacote mudou desde que a página foi aberta. "
    "Confira o novo valor e tente de novo."
)
MSG_PRICE_INVALID = "Preço inválido. Atualize a página e tente de novo."
# Polling the gateway burns its quota (Asaas: per 12 hours): once per purchase in this window.
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


def _fail(purchase: CreditPurchase, error: GatewayError) -> None:
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
    gateway: PaymentGateway | None = None,
) -> CreditPurchase:
    """Create a PIX charge for a package; returns the pending purchase with its QR code."""
    package = _package_for(package_id)
    if _price(expected_price) != package.price_brl:
        raise ApplicationError(MSG_PRICE_CHANGED, field="package_id")
    api = gateway or payment_gateway()
    try:
        if package.price_brl < api.minimum_charge:
            raise ApplicationError(MSG_BELOW_MINIMUM, field="package_id")
        document = cpf_cnpj_validate(cpf_cnpj, field="cpf_cnpj")
        due = local_today() + dt.timedelta(days=api.pix_due_days)
        purchase = _pending(tenant=tenant, actor=actor, package=package, document=document, due=due)
        _charge(purchase=purchase, tenant=tenant, document=document, due=due, api=api)
    finally:
        if gateway is None:
            api.close()
    credits_changed.send(sender=CreditPurchase, tenant=tenant, purchase_id=purchase.pk)
    purchase.refresh_from_db()
    return purchase


def _pending(
    *, tenant: Tenant, actor: User | None, package: CreditPackage, document: str, due: dt.date
) -> CreditPurchase:
    """Commit the pending purchase before the gateway hears of it: its webhook may come first."""
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
    return purchase


def _charge(
    *, purchase: CreditPurchase, tenant: Tenant, document: str, due: dt.date, api: PaymentGateway
) -> None:
    """Create the charge, then fetch its QR: the payment id is stored as soon as it exists."""
    try:
        charge = api.pix_charge_create(
            request=PixChargeRequest(
                customer_name=tenant.name,
                cpf_cnpj=document,
                customer_reference=str(tenant.pk),
                value=purchase.amount_brl,
                due_date=due,
                reference=str(purchase.pk),
                description=(
                    f"Clinicrm: {purchase.package_name} ({purchase.credits} créditos WhatsApp)"
                ),
            )
        )
        CreditPurchase.objects.filter(pk=purchase.pk).update(
            asaas_customer_id=charge.customer_id,
            asaas_payment_id=charge.payment_id,
            asaas_payment_link=charge.payment_link or None,
            updated_at=timezone.now(),
        )
        qr = api.pix_qr_get(payment_id=charge.payment_id)
        CreditPurchase.objects.filter(pk=purchase.pk).update(
            asaas_pix_qrcode=qr.image_base64,
            asaas_pix_copy_paste=qr.copy_paste,
            updated_at=timezone.now(),
        )
    except GatewayError as error:
        _fail(purchase, error)
        raise ApplicationError(error.message) from error


def purchase_payment_gateway_check(
    *, purchase: CreditPurchase, gateway: PaymentGateway | None = None
) -> str | None:
    """Read the payment back from the gateway before crediting it: a webhook (or a leaked
    webhook token) saying "received" is not enough to mint credits. None when the gateway says
    the payment is paid with the purchase's value; otherwise the reason nothing is credited.
    A GatewayError (gateway unreachable, 5xx) propagates: the event is retried later."""
    api = gateway or payment_gateway()
    try:
        payment = api.payment_get(payment_id=str(purchase.asaas_payment_id))
    finally:
        if gateway is None:
            api.close()
    if payment is None:
        return f"{api.key} does not know the payment"
    if payment.state != PaymentState.PAID:
        logger.warning(
            "%s says purchase %s is %s: not credited", api.key, purchase.pk, payment.status or "?"
        )
        return f"{api.key} says the payment is {payment.status or 'unknown'}"
    if payment.value != purchase.amount_brl:
        return f"{api.key} payment value differs from purchase amount"
    return None


# --------------------------------------------------------------------------- polling fallback

POLL_ACTIONS = {
    PaymentState.PAID: purchase_payment_received,
    PaymentState.OVERDUE: purchase_payment_overdue,
    PaymentState.REFUNDED: purchase_payment_refunded,
    PaymentState.DELETED: purchase_payment_deleted,
}


def purchase_refresh_status(
    *, purchase: CreditPurchase, gateway: PaymentGateway | None = None, force: bool = False
) -> CreditPurchase:
    """Ask the gateway about a pending purchase when its webhook is late (rate-limited per
    purchase)."""
    if purchase.status != PurchaseStatus.PENDING or not purchase.asaas_payment_id:
        return purchase
    key = f"asaas-poll:{purchase.pk}"
    if force:
        cache.set(key, 1, timeout=POLL_MIN_INTERVAL_SECONDS)
    elif not cache.add(key, 1, timeout=POLL_MIN_INTERVAL_SECONDS):
        return purchase
    api = gateway or payment_gateway()
    try:
        payment = api.payment_get(payment_id=purchase.asaas_payment_id)
    except GatewayError as error:
        logger.info(
            "%s poll of purchase %s failed: %s", api.key, purchase.pk, error.code or error.status
        )
        return purchase
    finally:
        if gateway is None:
            api.close()
    action = POLL_ACTIONS.get(payment.state) if payment is not None else None
    if action is not None:
        action(purchase=purchase)
    purchase.refresh_from_db()
    return purchase
