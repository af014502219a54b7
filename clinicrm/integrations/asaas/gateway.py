"""Asaas as credits' `PaymentGateway`: the client's JSON turned into credits' dataclasses.

The client is built on first use, so building the gateway never fails: a missing API key is an
`AsaasError` (a `GatewayError`) from the first call, after the purchase is stored, and marks it
failed like any other refusal.
"""

import time
from decimal import Decimal, InvalidOperation
from typing import Any

from clinicrm.credits.gateway import (
    PaymentInfo,
    PaymentState,
    PixCharge,
    PixChargeRequest,
    PixQr,
)
from clinicrm.integrations.asaas import constants as c
from clinicrm.integrations.asaas.client import AsaasClient, AsaasError, asaas_client_from_settings

# Asaas's payment statuses in our words (anything else is OTHER: nothing to do).
STATES = {
    "PENDING": PaymentState.PENDING,
    "RECEIVED": PaymentState.PAID,
    "CONFIRMED": PaymentState.PAID,
    "RECEIVED_IN_CASH": PaymentState.PAID,
    "OVERDUE": PaymentState.OVERDUE,
    "REFUNDED": PaymentState.REFUNDED,
}
# The QR code may not be ready right after the charge is created: these answers are retried.
QR_RETRY_STATUSES = (None, 404, 500, 502, 503, 504)
QR_ATTEMPTS = 3


def _value(raw: Any) -> Decimal | None:
    try:
        return Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None


class AsaasGateway:
    key = c.PROVIDER
    minimum_charge = Decimal(c.MIN_CHARGE_BRL)
    pix_due_days = c.PIX_DUE_DAYS

    def __init__(self, *, client: AsaasClient | None = None) -> None:
        self._client = client
        self._owns_client = client is None

    def _api(self) -> AsaasClient:
        if self._client is None:
            self._client = asaas_client_from_settings()
        return self._client

    def close(self) -> None:
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None

    def pix_charge_create(self, *, request: PixChargeRequest) -> PixCharge:
        api = self._api()
        customer = api.customer_get_or_create(
            name=request.customer_name,
            cpf_cnpj=request.cpf_cnpj,
            external_reference=request.customer_reference,
        )
        payment = api.payment_create_pix(
            customer_id=str(customer["id"]),
            value=request.value,
            due_date=request.due_date,
            external_reference=request.reference,
            description=request.description,
        )
        return PixCharge(
            customer_id=str(customer["id"]),
            payment_id=str(payment["id"]),
            payment_link=str(payment.get("invoiceUrl") or ""),
        )

    def pix_qr_get(self, *, payment_id: str) -> PixQr:
        for attempt in range(QR_ATTEMPTS):
            try:
                qr = self._api().payment_pix_qr(payment_id=payment_id)
            except AsaasError as error:
                if attempt == QR_ATTEMPTS - 1 or error.status not in QR_RETRY_STATUSES:
                    raise
                time.sleep(0.5 * (attempt + 1))
                continue
            return PixQr(
                image_base64=str(qr.get("encodedImage") or ""),
                copy_paste=str(qr.get("payload") or ""),
            )
        raise AssertionError("unreachable")

    def payment_get(self, *, payment_id: str) -> PaymentInfo | None:
        try:
            payment = self._api().payment_get(payment_id=payment_id)
        except AsaasError as error:
            if error.status == 404:
                return None
            raise
        status = str(payment.get("status") or "")
        state = PaymentState.DELETED if payment.get("deleted") else STATES.get(status)
        return PaymentInfo(
            state=state or PaymentState.OTHER, status=status, value=_value(payment.get("value"))
        )
