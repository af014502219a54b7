"""The clinic's statement ("Extrato"): every WhatsApp credit and add-on movement in one list.

Rows of `whatsapp_credits_transactions` and `addon_transactions` are read through one UNION
ordered by time (so pagination is done by the database), then the page's rows are loaded with
what explains them: the purchase and its price, the staff note, the conversation a message
credit paid for. Every row carries a reason in plain pt-BR; old rows written without a note get
one from their kind.

The conversation behind a usage or refund lives in `messaging`, above this app: messaging
registers a resolver (`statement_message_refs_register`) that turns message ids into a link
and, for a failed send, the reason it failed.
"""

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import CharField, Count, Q, QuerySet, Sum, TextField, Value
from django.db.models.functions import Cast, LPad

from clinicrm.core.models import Tenant
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.credits.models import (
    AddonTransaction,
    AddonTransactionType,
    CreditTransaction,
    PurchaseStatus,
    TransactionKind,
)
from clinicrm.credits.selectors import created_between

WHATSAPP = "whatsapp"
WHATSAPP_LABEL = "Créditos WhatsApp"
PER_PAGE = 25

# The statement's kinds, each gathering the matching movements of both ledgers.
KIND_CHOICES = (
    ("compra", "Compras"),
    ("uso", "Uso"),
    ("reembolso", "Reembolsos"),
    ("recarga", "Recargas e bônus"),
    ("ajuste", "Ajustes"),
)
_WHATSAPP_KINDS = {
    "compra": [TransactionKind.PURCHASE],
    "uso": [TransactionKind.USAGE],
    "reembolso": [TransactionKind.REFUND],
    "recarga": [TransactionKind.TOPUP_MANUAL],
    "ajuste": [TransactionKind.ADJUSTMENT],
}
_ADDON_TYPES = {
    "compra": [AddonTransactionType.PURCHASE],
    "uso": [AddonTransactionType.CONSUMPTION],
    "reembolso": [AddonTransactionType.REFUND],
    "recarga": [AddonTransactionType.BONUS],
    "ajuste": [AddonTransactionType.ADJUSTMENT],
}
_WHATSAPP_KIND_LABELS = {
    TransactionKind.PURCHASE: "Compra",
    TransactionKind.USAGE: "Uso",
    TransactionKind.REFUND: "Reembolso",
    TransactionKind.TOPUP_MANUAL: "Recarga",
    TransactionKind.ADJUSTMENT: "Ajuste",
}
# The reason shown when a row was written without a note.
_WHATSAPP_REASONS = {
    TransactionKind.PURCHASE: "Compra de créditos por PIX",
    TransactionKind.USAGE: "Mensagem enviada pelo WhatsApp Oficial",
    TransactionKind.REFUND: "Mensagem não entregue: reembolsada",
    TransactionKind.TOPUP_MANUAL: "Recarga feita pela equipe Clinicrm",
    TransactionKind.ADJUSTMENT: "Ajuste feito pela equipe Clinicrm",
}


# --------------------------------------------------------------------------- message references


@dataclass(frozen=True, kw_only=True)
class MessageRef:
    """What the statement shows about the message a credit paid for."""

    url: str
    label: str
    failure: str = ""


MessageRefs = Callable[[Tenant, list[int]], dict[int, MessageRef]]
_message_refs: list[MessageRefs] = []


def statement_message_refs_register(resolver: MessageRefs) -> None:
    """Called by messaging at start-up: message ids -> link, label and failure reason."""
    _message_refs[:] = [resolver]


def _refs(tenant: Tenant, ids: list[int]) -> dict[int, MessageRef]:
    if not ids or not _message_refs:
        return {}
    return _message_refs[0](tenant, ids)


# --------------------------------------------------------------------------- filters and rows


@dataclass(frozen=True, kw_only=True)
class StatementFilters:
    product: str = ""  # "" = all, WHATSAPP, or an add-on type
    kind: str = ""  # "" = all, or a key of KIND_CHOICES
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(frozen=True, kw_only=True)
class StatementRow:
    created_at: dt.datetime | None
    product: str  # pt-BR label
    kind: str  # pt-BR label
    amount: int
    balance_after: int
    value: Decimal | None  # money paid (+) or given back (-), when the row moved money
    reason: str
    detail: str = ""  # the ledger's note, when it says more than the reason
    link_url: str = ""
    link_label: str = ""

    @property
    def local_time(self) -> dt.datetime | None:
        """São Paulo wall-clock time, without tzinfo (what the spreadsheet shows)."""
        if self.created_at is None:
            return None
        return self.created_at.astimezone(SAO_PAULO).replace(tzinfo=None)


@dataclass(kw_only=True)
class ProductTotals:
    product: str
    credited: int = 0
    debited: int = 0
    value: Decimal = field(default_factory=lambda: Decimal("0.00"))

    @property
    def net(self) -> int:
        return self.credited + self.debited


def _whatsapp_qs(tenant: Tenant, filters: StatementFilters) -> QuerySet[CreditTransaction] | None:
    if filters.product not in ("", WHATSAPP):
        return None
    qs = CreditTransaction.objects.filter(tenant=tenant)
    if filters.kind:
        qs = qs.filter(kind__in=_WHATSAPP_KINDS[filters.kind])
    return created_between(qs, filters.date_from, filters.date_to)


def _addon_qs(tenant: Tenant, filters: StatementFilters) -> QuerySet[AddonTransaction] | None:
    if filters.product == WHATSAPP:
        return None
    qs = AddonTransaction.objects.filter(tenant=tenant)
    if filters.product:
        qs = qs.filter(addon_type=filters.product)
    if filters.kind:
        qs = qs.filter(type__in=_ADDON_TYPES[filters.kind])
    return created_between(qs, filters.date_from, filters.date_to)


def _keys(tenant: Tenant, filters: StatementFilters) -> QuerySet[Any] | None:
    """(created_at, source, id as text) of the matching rows of both ledgers, newest first."""
    parts = []
    # Ties on created_at are broken by the key: ledger ids are zero-padded so that, as text,
    # they sort like the numbers they are (a refund after its usage).
    wa_key = LPad(Cast("id", output_field=TextField()), 20, Value("0"))
    ad_key = Cast("id", output_field=TextField())
    for source, qs, key in (
        ("w", _whatsapp_qs(tenant, filters), wa_key),
        ("a", _addon_qs(tenant, filters), ad_key),
    ):
        if qs is not None:
            parts.append(
                qs.order_by()
                .annotate(source=Value(source, output_field=CharField()), key=key)
                .values_list("created_at", "source", "key")
            )
    if not parts:
        return None
    combined = parts[0] if len(parts) == 1 else parts[0].union(parts[1], all=True)
    return combined.order_by("-created_at", "-key")


def _purchase_value(tx: CreditTransaction) -> Decimal | None:
    purchase = tx.purchase
    if purchase is None:
        return None
    if tx.kind == TransactionKind.PURCHASE:
        return purchase.amount_brl
    if tx.kind == TransactionKind.ADJUSTMENT and purchase.status == PurchaseStatus.REFUNDED:
        return -purchase.amount_brl  # the reversal of a payment Asaas gave back
    return None


def _whatsapp_reason(tx: CreditTransaction, ref: MessageRef | None) -> tuple[str, str]:
    """(why, in plain pt-BR; the ledger's own note when it adds to that, else "")."""
    kind = TransactionKind(tx.kind)
    note = tx.note or ""
    if kind == TransactionKind.PURCHASE and tx.purchase is not None:
        return f"Compra PIX do pacote {tx.purchase.package_name}", ""
    if kind == TransactionKind.REFUND:
        # The note records the evidence that proved the send failed; the reason says what it
        # means for the clinic, with the failure as the conversation page showed it.
        failure = ref.failure.rstrip(".") if ref is not None and ref.failure else ""
        reason = _WHATSAPP_REASONS[kind] + (f" ({failure})" if failure else "")
        return reason, note
    if kind in (TransactionKind.TOPUP_MANUAL, TransactionKind.ADJUSTMENT) and note:
        if tx.purchase is not None:  # the reversal of a refunded payment names it
            return note, ""
        return f"{_WHATSAPP_REASONS[kind]}: {note}", ""
    return note or _WHATSAPP_REASONS[kind], ""


def _whatsapp_row(tx: CreditTransaction, ref: MessageRef | None) -> StatementRow:
    reason, detail = _whatsapp_reason(tx, ref)
    return StatementRow(
        created_at=tx.created_at,
        product=WHATSAPP_LABEL,
        kind=_WHATSAPP_KIND_LABELS[TransactionKind(tx.kind)],
        amount=tx.amount,
        balance_after=tx.balance_after,
        value=_purchase_value(tx),
        reason=reason,
        detail=detail,
        link_url=ref.url if ref else "",
        link_label=ref.label if ref else "",
    )


def _addon_row(tx: AddonTransaction) -> StatementRow:
    kind = tx.get_type_display()
    value = None if tx.price_cents is None else _money(Decimal(tx.price_cents) / 100)
    product_name = tx.product.name if tx.product is not None else ""
    return StatementRow(
        created_at=tx.created_at,
        product=_addon_label(tx.addon_type),
        kind=kind,
        amount=tx.amount,
        balance_after=tx.balance_after,
        value=value,
        reason=tx.description or product_name or f"{kind} de créditos {tx.addon_type}",
    )


def _addon_label(addon_type: str) -> str:
    return f"Add-on {addon_type}"


def _load(tenant: Tenant, keys: Iterable[tuple[Any, str, str]]) -> list[StatementRow]:
    """The full rows for `keys`, in the keys' order."""
    keys = list(keys)
    wa_ids = [int(k) for _, src, k in keys if src == "w"]
    ad_ids = [k for _, src, k in keys if src == "a"]
    wa = CreditTransaction.objects.filter(tenant=tenant).select_related("purchase").in_bulk(wa_ids)
    ad = (
        AddonTransaction.objects.filter(tenant=tenant)
        .select_related("product")
        .in_bulk([uuid.UUID(k) for k in ad_ids])
    )
    message_ids = [tx.conversation_message_id for tx in wa.values() if tx.conversation_message_id]
    refs = _refs(tenant, message_ids)
    rows = []
    for _, src, key in keys:
        if src == "w":
            tx = wa[int(key)]
            ref = refs.get(tx.conversation_message_id) if tx.conversation_message_id else None
            rows.append(_whatsapp_row(tx, ref))
        else:
            rows.append(_addon_row(ad[uuid.UUID(key)]))
    return rows


def statement_page(
    *,
    tenant: Tenant,
    filters: StatementFilters,
    page: int | str | None = 1,
    per_page: int = PER_PAGE,
) -> tuple[Page[Any], list[StatementRow]]:
    """One page of the statement: the paginator's page (of keys) and its full rows."""
    keys = _keys(tenant, filters)
    source: QuerySet[Any] | list[Any] = keys if keys is not None else []
    page_obj: Page[Any] = Paginator(source, per_page).get_page(page)
    return page_obj, _load(tenant, page_obj.object_list)


def statement_rows(*, tenant: Tenant, filters: StatementFilters) -> Iterator[StatementRow]:
    """Every row of the statement, newest first, loaded in chunks (for the exports)."""
    keys = _keys(tenant, filters)
    if keys is None:
        return
    chunk: list[tuple[Any, str, str]] = []
    for key in keys.iterator(chunk_size=500):
        chunk.append(key)
        if len(chunk) == 500:
            yield from _load(tenant, chunk)
            chunk = []
    yield from _load(tenant, chunk)


def statement_totals(*, tenant: Tenant, filters: StatementFilters) -> list[ProductTotals]:
    """Credits in and out and money moved, per product, for the filtered rows (aggregated by
    the database; credits of different products are different units and never added up)."""
    totals: list[ProductTotals] = []
    wa = _whatsapp_qs(tenant, filters)
    if wa is not None:
        agg = wa.aggregate(
            credited=Sum("amount", filter=Q(amount__gt=0)),
            debited=Sum("amount", filter=Q(amount__lt=0)),
            paid=Sum("purchase__amount_brl", filter=Q(kind=TransactionKind.PURCHASE)),
            given_back=Sum(
                "purchase__amount_brl",
                filter=Q(kind=TransactionKind.ADJUSTMENT, purchase__status=PurchaseStatus.REFUNDED),
            ),
            rows=Count("id"),
        )
        if agg["rows"]:
            totals.append(
                ProductTotals(
                    product=WHATSAPP_LABEL,
                    credited=agg["credited"] or 0,
                    debited=agg["debited"] or 0,
                    value=_money(agg["paid"]) - _money(agg["given_back"]),
                )
            )
    addons = _addon_qs(tenant, filters)
    if addons is not None:
        per_type = (
            addons.order_by("addon_type")
            .values("addon_type")
            .annotate(
                credited=Sum("amount", filter=Q(amount__gt=0)),
                debited=Sum("amount", filter=Q(amount__lt=0)),
                cents=Sum("price_cents"),
            )
        )
        for group in per_type:
            totals.append(
                ProductTotals(
                    product=_addon_label(group["addon_type"]),
                    credited=group["credited"] or 0,
                    debited=group["debited"] or 0,
                    value=_money(Decimal(group["cents"] or 0) / 100),
                )
            )
    return totals


def _money(value: Decimal | None) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))
