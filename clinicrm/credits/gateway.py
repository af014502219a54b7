"""The payment-gateway interface credits knows: a Protocol, its dataclasses and one registry slot.

Credits sits below `integrations`, so it never imports a gateway: `integrations/<provider>/`
implements `PaymentGateway` and registers a factory through its provider spec at start-up
(`payment_gateway_register`). Credits asks `payment_gateway()` for one per operation; a test may
pass its own to the purchase services instead.

Gateways speak in our words: a payment is one of `PaymentState`, whatever the provider calls it,
and every failure is a `GatewayError` whose `message` is pt-BR and safe to show.
"""

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

# Shown when a package costs less than the gateway accepts (checked before anything is stored).
MSG_BELOW_MINIMUM = "O valor mínimo de uma cobrança PIX é R$ 5,00."


class GatewayError(Exception):
    """A gateway call failed. `message` is pt-BR and safe to show; `status` is the provider's
    HTTP status (None when it was never reached); `field` names the form field at fault."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        status: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.field = field

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500


class PaymentState(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"  # the money arrived (confirmed or received)
    OVERDUE = "overdue"
    REFUNDED = "refunded"
    DELETED = "deleted"
    OTHER = "other"


@dataclass(frozen=True, kw_only=True)
class PixChargeRequest:
    customer_name: str
    cpf_cnpj: str
    customer_reference: str  # our tenant id
    value: Decimal
    due_date: dt.date
    reference: str  # our purchase id: the gateway echoes it in its webhooks
    description: str


@dataclass(frozen=True, kw_only=True)
class PixCharge:
    customer_id: str
    payment_id: str
    payment_link: str  # "" when the gateway has no hosted page


@dataclass(frozen=True, kw_only=True)
class PixQr:
    image_base64: str  # PNG
    copy_paste: str


@dataclass(frozen=True, kw_only=True)
class PaymentInfo:
    state: PaymentState
    status: str  # the gateway's own word, for logs and reasons
    value: Decimal | None


class PaymentGateway(Protocol):
    key: str
    minimum_charge: Decimal
    pix_due_days: int

    def pix_charge_create(self, *, request: PixChargeRequest) -> PixCharge: ...

    def pix_qr_get(self, *, payment_id: str) -> PixQr: ...

    def payment_get(self, *, payment_id: str) -> PaymentInfo | None:
        """None when the gateway does not know the payment."""
        ...

    def close(self) -> None: ...


GatewayFactory = Callable[[], PaymentGateway]
_factories: list[GatewayFactory] = []


def payment_gateway_register(factory: GatewayFactory) -> None:
    """Make `factory` the gateway (one at a time: registering again replaces it)."""
    _factories[:] = [factory]


def payment_gateway() -> PaymentGateway:
    """A new gateway for one operation; the caller closes it."""
    if not _factories:
        raise LookupError("no payment gateway registered")
    return _factories[0]()
