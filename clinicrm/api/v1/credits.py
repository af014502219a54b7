"""/credits/...: WhatsApp credit balance, statement, package store and PIX purchases.

Same services, selectors and role rules as the "Créditos WhatsApp" page: every member may read the
balance and the store; the statement and purchases belong to owners and admins (403 otherwise).
Periods are São Paulo calendar days. A purchase goes through `credits.purchases.purchase_start`:
local validation failures are 400 naming the field and store nothing; a refusal by Asaas is 400
and an Asaas outage/misconfiguration is 502, both with the friendly pt-BR message.
"""

import datetime as dt
import uuid
from typing import Any, Literal, cast

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from clinicrm.api.v1.base import api, error_body
from clinicrm.api.v1.common import (
    ApiDate,
    Page,
    PageParams,
    page_of,
    require_roles,
    tenant_of,
)
from clinicrm.api.v1.schemas import ErrorOut, StrictIn
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import MANAGER_ROLES, User
from clinicrm.core.tenancy import tenant_get_or_404
from clinicrm.credits import selectors
from clinicrm.credits.gateway import GatewayError
from clinicrm.credits.models import CreditPurchase, PurchaseStatus
from clinicrm.credits.purchases import purchase_refresh_status, purchase_start

router = Router(tags=["créditos WhatsApp"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
# A pending purchase older than this is also checked at Asaas (as the page does): webhooks can be
# late, and purchase_refresh_status rate-limits the calls per purchase.
POLL_ASAAS_AFTER = dt.timedelta(seconds=30)
# Asaas answers that mean "your request is wrong" (the user can fix it): 400. Everything else
# (timeouts, 5xx, rate limit, our credentials or configuration) is an upstream failure: 502.
_ASAAS_CLIENT_ERRORS = range(400, 500)
_ASAAS_UPSTREAM_STATUSES = {401, 403, 404, 429}


def _money(value: Any) -> str:
    return f"{value:.2f}"


# --- balance ---------------------------------------------------------------------------------


class BalanceOut(Schema):
    balance: int
    lifetime_purchased: int
    lifetime_used: int
    low_balance_threshold: int
    is_low: bool = Field(..., description="Saldo abaixo do limite de alerta.")


@router.get("/credits/balance", response={200: BalanceOut, **ERRORS}, url_name="credits_balance")
def credits_balance(request: HttpRequest) -> dict[str, Any]:
    row = selectors.credits_balance_get(tenant=tenant_of(request))
    return {
        "balance": row.balance,
        "lifetime_purchased": row.lifetime_purchased,
        "lifetime_used": row.lifetime_used,
        "low_balance_threshold": row.low_balance_threshold,
        "is_low": row.is_low,
    }


# --- transactions ----------------------------------------------------------------------------


class TransactionParams(PageParams):
    kind: Literal["purchase", "usage", "topup_manual", "refund", "adjustment"] | None = None
    date_from: ApiDate | None = Field(None, description="Dia inicial (horário de São Paulo).")
    date_to: ApiDate | None = Field(None, description="Dia final, inclusive.")


class TransactionOut(Schema):
    id: int
    kind: str
    amount: int
    balance_after: int
    created_at: dt.datetime
    conversation_message_id: int | None
    purchase_id: uuid.UUID | None
    admin_id: uuid.UUID | None
    note: str | None


class TransactionPage(Page):
    items: list[TransactionOut]


@router.get(
    "/credits/transactions",
    response={200: TransactionPage, **ERRORS},
    url_name="credits_transactions",
)
def credits_transactions(request: HttpRequest, params: Query[TransactionParams]) -> dict[str, Any]:
    require_roles(request, MANAGER_ROLES)
    if params.date_from and params.date_to and params.date_from > params.date_to:
        raise ApplicationError(
            "A data final deve ser igual ou posterior à inicial.", field="date_to"
        )
    qs = selectors.credits_transactions_list(
        tenant=tenant_of(request),
        kind=params.kind,
        date_from=params.date_from,
        date_to=params.date_to,
    )
    return page_of(qs, limit=params.limit, offset=params.offset)


# --- packages --------------------------------------------------------------------------------


class PackageOut(Schema):
    id: uuid.UUID
    name: str
    description: str | None
    credits: int
    price_brl: str = Field(..., description='Preço em reais, decimal com ponto: "99.90".')
    is_featured: bool

    @staticmethod
    def resolve_price_brl(obj: Any) -> str:
        return _money(obj.price_brl)


@router.get(
    "/credits/packages", response={200: list[PackageOut], **ERRORS}, url_name="credits_packages"
)
def credits_packages(request: HttpRequest) -> Any:
    return list(selectors.credit_packages_active())


# --- purchases -------------------------------------------------------------------------------


class PurchaseIn(StrictIn):
    package_id: str = Field(..., max_length=64, description="id do pacote (UUID).")
    expected_price: str = Field(
        ...,
        max_length=20,
        description='Preço exibido ao usuário ("99.90"): se o pacote mudou de preço, recusa.',
    )
    cpf_cnpj: str = Field(..., max_length=32, description="CPF ou CNPJ, com ou sem pontuação.")


class PurchaseListItem(Schema):
    id: uuid.UUID
    package_id: uuid.UUID | None
    package_name: str
    credits: int
    amount_brl: str
    status: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    paid_at: dt.datetime | None
    failed_at: dt.datetime | None

    @staticmethod
    def resolve_amount_brl(obj: Any) -> str:
        return _money(obj.amount_brl)


class PurchaseOut(PurchaseListItem):
    pix_qr_code_base64: str | None = Field(
        None, description="Imagem PNG do QR Code PIX, em base64."
    )
    pix_copy_paste: str | None = Field(None, description="Código PIX copia e cola.")
    payment_link: str | None = None

    @staticmethod
    def resolve_pix_qr_code_base64(obj: Any) -> str | None:
        return obj.asaas_pix_qrcode or None

    @staticmethod
    def resolve_pix_copy_paste(obj: Any) -> str | None:
        return obj.asaas_pix_copy_paste or None

    @staticmethod
    def resolve_payment_link(obj: Any) -> str | None:
        return obj.asaas_payment_link or None


class PurchasePage(Page):
    items: list[PurchaseListItem]


def _asaas_error_response(request: HttpRequest, exc: ApplicationError) -> HttpResponse | None:
    """The JSON answer for a gateway failure, or None when the error is a local validation."""
    cause = exc.__cause__
    if not isinstance(cause, GatewayError):
        return None
    user_fixable = cause.status in _ASAAS_CLIENT_ERRORS and (
        cause.status not in _ASAAS_UPSTREAM_STATUSES
    )
    field = cause.field or exc.field
    return api.create_response(
        request, error_body(exc.message, field), status=400 if user_fixable else 502
    )


@router.post(
    "/credits/purchases",
    response={201: PurchaseOut, 502: ErrorOut, **ERRORS},
    url_name="credits_purchase_create",
)
def credits_purchase_create(request: HttpRequest, payload: PurchaseIn) -> Any:
    require_roles(request, MANAGER_ROLES)
    try:
        purchase = purchase_start(
            tenant=tenant_of(request),
            actor=cast(User, request.user),
            package_id=payload.package_id,
            expected_price=payload.expected_price,
            cpf_cnpj=payload.cpf_cnpj,
        )
    except ApplicationError as exc:
        response = _asaas_error_response(request, exc)
        if response is None:
            raise
        return response
    return Status(201, purchase)


@router.get(
    "/credits/purchases", response={200: PurchasePage, **ERRORS}, url_name="credits_purchase_list"
)
def credits_purchase_list(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    require_roles(request, MANAGER_ROLES)
    qs = selectors.credit_purchases_list(tenant=tenant_of(request))
    return page_of(qs, limit=params.limit, offset=params.offset)


@router.get(
    "/credits/purchases/{uuid:purchase_id}",
    response={200: PurchaseOut, **ERRORS},
    url_name="credits_purchase_detail",
)
def credits_purchase_detail(request: HttpRequest, purchase_id: uuid.UUID) -> CreditPurchase:
    require_roles(request, MANAGER_ROLES)
    purchase = tenant_get_or_404(CreditPurchase, tenant=tenant_of(request), pk=purchase_id)
    age = dt.datetime.now(dt.UTC) - purchase.created_at
    if purchase.status == PurchaseStatus.PENDING and age > POLL_ASAAS_AFTER:
        purchase = purchase_refresh_status(purchase=purchase)
    return purchase
